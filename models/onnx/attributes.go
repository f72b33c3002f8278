package onnx

import "fmt"

// intsAttribute returns the INTS attribute name, or def when it is absent.
func intsAttribute(attrs map[string]interface{}, name string, def []int) ([]int, error) {
	value, ok := attrs[name]
	if !ok {
		return def, nil
	}
	ints, ok := value.([]int64)
	if !ok {
		return nil, fmt.Errorf("attribute %s is a %T, expected a list of ints", name, value)
	}
	out := make([]int, len(ints))
	for i, v := range ints {
		out[i] = int(v)
	}
	return out, nil
}

// intAttribute returns the INT attribute name, or def when it is absent.
func intAttribute(attrs map[string]interface{}, name string, def int) (int, error) {
	value, ok := attrs[name]
	if !ok {
		return def, nil
	}
	i, ok := value.(int64)
	if !ok {
		return 0, fmt.Errorf("attribute %s is a %T, expected an int", name, value)
	}
	return int(i), nil
}

// stringAttribute returns the STRING attribute name, or def when it is
// absent.
func stringAttribute(attrs map[string]interface{}, name, def string) (string, error) {
	value, ok := attrs[name]
	if !ok {
		return def, nil
	}
	s, ok := value.(string)
	if !ok {
		return "", fmt.Errorf("attribute %s is a %T, expected a string", name, value)
	}
	return s, nil
}

// allOnes reports whether every element of values is 1.
func allOnes(values []int) bool {
	for _, v := range values {
		if v != 1 {
			return false
		}
	}
	return true
}

// floatAttribute returns the FLOAT attribute name, or def when it is
// absent.
func floatAttribute(attrs map[string]interface{}, name string, def float32) (float32, error) {
	value, ok := attrs[name]
	if !ok {
		return def, nil
	}
	f, ok := value.(float32)
	if !ok {
		return 0, fmt.Errorf("attribute %s is a %T, expected a float", name, value)
	}
	return f, nil
}
