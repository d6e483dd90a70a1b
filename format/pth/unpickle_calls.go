package pth

// global resolves GLOBAL / STACK_GLOBAL against the allow-list.
func (u *unpickler) global(op byte) error {
	var module, name string
	if op == opGlobal {
		var err error
		if module, err = u.readLine(); err != nil {
			return err
		}
		if name, err = u.readLine(); err != nil {
			return err
		}
	} else {
		n, err := u.pop()
		if err != nil {
			return err
		}
		m, err := u.pop()
		if err != nil {
			return err
		}
		ms, ok1 := m.(string)
		ns, ok2 := n.(string)
		if !ok1 || !ok2 {
			return errorf(ErrPickle, "STACK_GLOBAL needs two strings")
		}
		module, name = ms, ns
	}
	g, err := lookupGlobal(module, name)
	if err != nil {
		return err
	}
	return u.push(g)
}

// call handles REDUCE and NEWOBJ: only allow-listed globals are callable.
func (u *unpickler) call(op byte) error {
	argv, err := u.pop()
	if err != nil {
		return err
	}
	fn, err := u.pop()
	if err != nil {
		return err
	}
	args, ok := argv.(pyTuple)
	if !ok {
		return errorf(ErrPickle, "call arguments are a %s, not a tuple", typeName(argv))
	}
	g, ok := fn.(*pyGlobal)
	if !ok {
		return errorf(ErrPickle, "cannot call a %s", typeName(fn))
	}
	v, err := g.call(op == opNewObj, args)
	if err != nil {
		return err
	}
	return u.push(v)
}

// build handles BUILD (__setstate__). Only a dict-like state on an
// OrderedDict (its _metadata attribute) is accepted, and dropped.
func (u *unpickler) build() error {
	state, err := u.pop()
	if err != nil {
		return err
	}
	obj, err := u.top()
	if err != nil {
		return err
	}
	if _, ok := obj.(*pyDict); !ok {
		return errorf(ErrUnsupported, "BUILD on a %s is not supported", typeName(obj))
	}
	switch state.(type) {
	case *pyDict, nil:
		return nil
	case pyTuple: // (state dict, slot state)
		return nil
	}
	return errorf(ErrUnsupported, "BUILD with a %s state is not supported", typeName(state))
}

func (u *unpickler) persistent() error {
	pidv, err := u.pop()
	if err != nil {
		return err
	}
	pid, ok := pidv.(pyTuple)
	if !ok {
		return errorf(ErrPickle, "persistent id is a %s, not a tuple", typeName(pidv))
	}
	if u.persLoad == nil {
		return errorf(ErrPickle, "unexpected persistent id in this pickle")
	}
	v, err := u.persLoad(pid)
	if err != nil {
		return err
	}
	return u.push(v)
}
