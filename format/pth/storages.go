package pth

// storageRefs collects the storages named by persistent ids, one per key,
// and checks that every mention agrees on the element type.
type storageRefs struct {
	byKey map[string]*storageRef
}

func newStorageRefs() *storageRefs { return &storageRefs{byKey: map[string]*storageRef{}} }

// parsePID checks the common head of a storage persistent id:
// ('storage', <storage class>, key, location, numel, ...).
func parsePID(pid pyTuple, minLen, maxLen int) (key string, cls *pyGlobal, numel int64, err error) {
	if len(pid) < minLen || len(pid) > maxLen {
		return "", nil, 0, errorf(ErrStorage, "persistent id has %d fields, want %d to %d", len(pid), minLen, maxLen)
	}
	if tag, ok := pid[0].(string); !ok || tag != "storage" {
		return "", nil, 0, errorf(ErrStorage, "persistent id of kind %s is not a storage", typeName(pid[0]))
	}
	cls, ok := pid[1].(*pyGlobal)
	if !ok || cls.kind != kindStorageClass {
		return "", nil, 0, errorf(ErrStorage, "persistent id names a %s, not a storage class", typeName(pid[1]))
	}
	key, ok = pid[2].(string)
	if !ok {
		return "", nil, 0, errorf(ErrStorage, "storage key is a %s, not a string", typeName(pid[2]))
	}
	if _, ok := pid[3].(string); !ok {
		return "", nil, 0, errorf(ErrStorage, "storage %q: location is a %s, not a string", key, typeName(pid[3]))
	}
	numel, ok = pid[4].(int64)
	if !ok || numel < 0 {
		return "", nil, 0, errorf(ErrStorage, "storage %q: bad element count (%s)", key, typeName(pid[4]))
	}
	return key, cls, numel, nil
}

// add records a root storage, rejecting conflicting descriptions.
func (s *storageRefs) add(key string, cls *pyGlobal, numel int64) (*storageRef, error) {
	if prev, ok := s.byKey[key]; ok {
		if prev.dtype != cls.dtype || prev.numel != numel {
			return nil, errorf(ErrStorage, "storage %q is described both as %d %s and as %d %s elements",
				key, prev.numel, prev.dtype, numel, cls.dtype)
		}
		return prev, nil
	}
	ref := &storageRef{key: key, dtype: cls.dtype, numel: numel}
	s.byKey[key] = ref
	return ref, nil
}

// loadZip resolves a zip-format persistent id
// ('storage', storage_type, key, location, numel).
func (s *storageRefs) loadZip(pid pyTuple) (any, error) {
	key, cls, numel, err := parsePID(pid, 5, 5)
	if err != nil {
		return nil, err
	}
	return s.add(key, cls, numel)
}

// loadLegacy resolves a legacy persistent id
// ('storage', storage_type, root_key, location, numel, view_metadata), where
// view_metadata is None or (view_key, offset, size) in elements.
func (s *storageRefs) loadLegacy(pid pyTuple) (any, error) {
	key, cls, numel, err := parsePID(pid, 5, 6)
	if err != nil {
		return nil, err
	}
	root, err := s.add(key, cls, numel)
	if err != nil || len(pid) == 5 || pid[5] == nil {
		return root, err
	}
	view, ok := pid[5].(pyTuple)
	if !ok || len(view) != 3 {
		return nil, errorf(ErrStorage, "storage %q: view metadata is a %s, not a 3-tuple", key, typeName(pid[5]))
	}
	off, ok1 := view[1].(int64)
	size, ok2 := view[2].(int64)
	if _, ok := view[0].(string); !ok || !ok1 || !ok2 || off < 0 || size < 0 {
		return nil, errorf(ErrStorage, "storage %q: malformed view metadata", key)
	}
	return &storageRef{key: key, dtype: root.dtype, numel: size, elemOffset: off}, nil
}
