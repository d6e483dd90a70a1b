/* wanconv bridge: error reporting (mlx-c 0.6 error.h). */
#ifndef MLX_C_ERROR_H
#define MLX_C_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*mlx_error_handler_func)(const char* msg, void* data);

/* Installs the handler that receives the message of every failing call
 * (which then returns non-zero). `dtor`, if not NULL, is called on `data`
 * when the handler is replaced. A NULL handler restores the default one,
 * which prints the message and exits the process. */
void mlx_set_error_handler(
    mlx_error_handler_func handler,
    void* data,
    void (*dtor)(void*));

#ifdef __cplusplus
}
#endif

#endif
