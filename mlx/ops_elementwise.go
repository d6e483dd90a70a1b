package mlx

// unaryKind names an element-wise operation of one array.
type unaryKind int

const (
	opAbs unaryKind = iota
	opCos
	opErf
	opExp
	opFloor
	opIsInf
	opIsNaN
	opLog
	opLogicalNot
	opNeg
	opRsqrt
	opSigmoid
	opSin
	opSqrt
	opSquare
	opTanh
)

// binaryKind names an element-wise (broadcasting) operation of two arrays,
// or Matmul.
type binaryKind int

const (
	opAdd binaryKind = iota
	opSub
	opMul
	opDiv
	opMaximum
	opMinimum
	opPower
	opEqual
	opLess
	opLessEqual
	opGreater
	opGreaterEqual
	opMatmul
)

// Add returns a + b (broadcasting).
func Add(a, b *Array) *Array { return binaryOp("Add", opAdd, a, b) }

// Sub returns a - b.
func Sub(a, b *Array) *Array { return binaryOp("Sub", opSub, a, b) }

// Mul returns a * b.
func Mul(a, b *Array) *Array { return binaryOp("Mul", opMul, a, b) }

// Div returns a / b.
func Div(a, b *Array) *Array { return binaryOp("Div", opDiv, a, b) }

// Maximum returns the element-wise maximum.
func Maximum(a, b *Array) *Array { return binaryOp("Maximum", opMaximum, a, b) }

// Minimum returns the element-wise minimum.
func Minimum(a, b *Array) *Array { return binaryOp("Minimum", opMinimum, a, b) }

// Power returns a raised to b.
func Power(a, b *Array) *Array { return binaryOp("Power", opPower, a, b) }

// Equal returns a == b as Bool.
func Equal(a, b *Array) *Array { return binaryOp("Equal", opEqual, a, b) }

// Less returns a < b as Bool.
func Less(a, b *Array) *Array { return binaryOp("Less", opLess, a, b) }

// LessEqual returns a <= b as Bool.
func LessEqual(a, b *Array) *Array { return binaryOp("LessEqual", opLessEqual, a, b) }

// Greater returns a > b as Bool.
func Greater(a, b *Array) *Array { return binaryOp("Greater", opGreater, a, b) }

// GreaterEqual returns a >= b as Bool.
func GreaterEqual(a, b *Array) *Array { return binaryOp("GreaterEqual", opGreaterEqual, a, b) }

// Matmul returns the matrix product (batched over leading dimensions).
func Matmul(a, b *Array) *Array { return binaryOp("Matmul", opMatmul, a, b) }

// Neg returns -a.
func Neg(a *Array) *Array { return unaryOp("Neg", opNeg, a) }

// Abs returns |a|.
func Abs(a *Array) *Array { return unaryOp("Abs", opAbs, a) }

// Square returns a*a.
func Square(a *Array) *Array { return unaryOp("Square", opSquare, a) }

// Exp returns e^a.
func Exp(a *Array) *Array { return unaryOp("Exp", opExp, a) }

// Log returns the natural logarithm.
func Log(a *Array) *Array { return unaryOp("Log", opLog, a) }

// Sqrt returns the square root.
func Sqrt(a *Array) *Array { return unaryOp("Sqrt", opSqrt, a) }

// Rsqrt returns 1/sqrt(a).
func Rsqrt(a *Array) *Array { return unaryOp("Rsqrt", opRsqrt, a) }

// Sin returns the sine.
func Sin(a *Array) *Array { return unaryOp("Sin", opSin, a) }

// Cos returns the cosine.
func Cos(a *Array) *Array { return unaryOp("Cos", opCos, a) }

// Tanh returns the hyperbolic tangent.
func Tanh(a *Array) *Array { return unaryOp("Tanh", opTanh, a) }

// Sigmoid returns 1/(1+e^-a).
func Sigmoid(a *Array) *Array { return unaryOp("Sigmoid", opSigmoid, a) }

// Erf returns the error function.
func Erf(a *Array) *Array { return unaryOp("Erf", opErf, a) }

// Floor rounds down.
func Floor(a *Array) *Array { return unaryOp("Floor", opFloor, a) }

// IsNaN reports NaN elements as Bool.
func IsNaN(a *Array) *Array { return unaryOp("IsNaN", opIsNaN, a) }

// IsInf reports infinite elements as Bool.
func IsInf(a *Array) *Array { return unaryOp("IsInf", opIsInf, a) }

// LogicalNot negates a Bool array.
func LogicalNot(a *Array) *Array { return unaryOp("LogicalNot", opLogicalNot, a) }

// AddScalar returns a + v, with v cast to a's dtype.
func AddScalar(a *Array, v float64) *Array {
	return binaryOp("AddScalar", opAdd, a, scalarLike(a, v))
}

// MulScalar returns a * v, with v cast to a's dtype.
func MulScalar(a *Array, v float64) *Array {
	return binaryOp("MulScalar", opMul, a, scalarLike(a, v))
}

// scalarLike returns v as a scalar of a's dtype (a itself when invalid, so
// the caller reports the invalid input).
func scalarLike(a *Array, v float64) *Array {
	if !a.Valid() {
		return a
	}
	return ScalarOf(v, a.Dtype())
}

// Where selects x where cond is true and y elsewhere (broadcasting).
func Where(cond, x, y *Array) *Array { return whereOp(cond, x, y) }

// Addmm returns alpha*(a@b) + beta*c.
func Addmm(c, a, b *Array, alpha, beta float32) *Array { return addmmOp(c, a, b, alpha, beta) }
