package attacks

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Names returns the names that Parse accepts, in a fixed order.
func Names() []string {
	return []string{FGSM{}.Name(), IFGSM{}.Name(), PGD{}.Name(), MIFGSM{}.Name()}
}

// Parse reads an attack from its string form "name:key=value,...", as
// String writes it. Keys left out take their defaults, so "ifgsm:eps=0.3"
// is the same attack as "ifgsm:eps=0.3,alpha=0.03,steps=10". Float values may
// be written as fractions such as "eps=16/255". Names lists the attack
// names, and each attack's doc comment lists its keys.
func Parse(s string) (Attack, error) {
	name, settings, _ := strings.Cut(strings.TrimSpace(s), ":")
	name = strings.ToLower(strings.TrimSpace(name))

	switch name {
	case FGSM{}.Name():
		var a FGSM
		return parseConfig(&a, a.params(), settings)
	case IFGSM{}.Name():
		var a IFGSM
		return parseConfig(&a, a.params(), settings)
	case PGD{}.Name():
		var a PGD
		return parseConfig(&a, a.params(), settings)
	case MIFGSM{}.Name():
		var a MIFGSM
		return parseConfig(&a, a.params(), settings)
	}
	return nil, fmt.Errorf("parse attack %q: unknown attack name %q, expected one of %s",
		s, name, strings.Join(Names(), ", "))
}

// parseConfig sets the params of *a from settings, a comma-separated list
// of key=value pairs, and returns *a once it is valid.
func parseConfig[T config](a *T, params []param, settings string) (Attack, error) {
	name := (*a).Name()
	if err := applySettings(params, settings); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if err := (*a).validate(); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	return *a, nil
}

// param is one key of an attack's string form, bound to a config field.
type param struct {
	key string

	// format returns the field's value as String writes it.
	format func() string

	// parse sets the field from a value as Parse reads it.
	parse func(value string) error
}

// formatConfig returns "name:key=value,..." for the params in order.
func formatConfig(name string, params []param) string {
	var s strings.Builder
	s.WriteString(name)
	for i, p := range params {
		if i == 0 {
			s.WriteByte(':')
		} else {
			s.WriteByte(',')
		}
		s.WriteString(p.key)
		s.WriteByte('=')
		s.WriteString(p.format())
	}
	return s.String()
}

// applySettings parses each key=value pair of settings into the param with
// that key.
func applySettings(params []param, settings string) error {
	if strings.TrimSpace(settings) == "" {
		return nil
	}

	seen := make(map[string]bool)
	for item := range strings.SplitSeq(settings, ",") {
		key, value, found := strings.Cut(strings.TrimSpace(item), "=")
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		if !found || key == "" {
			return fmt.Errorf("setting %q is not of the form key=value (valid keys: %s)",
				item, validKeys(params))
		}

		index := slices.IndexFunc(params, func(p param) bool { return p.key == key })
		if index < 0 {
			return fmt.Errorf("unknown key %q (valid keys: %s)", key, validKeys(params))
		}
		if seen[key] {
			return fmt.Errorf("key %q is set twice", key)
		}
		seen[key] = true

		if err := params[index].parse(value); err != nil {
			return fmt.Errorf("%s=%s: %w", key, value, err)
		}
	}
	return nil
}

// validKeys returns the params' keys joined by commas.
func validKeys(params []param) string {
	keys := make([]string, len(params))
	for i, p := range params {
		keys[i] = p.key
	}
	return strings.Join(keys, ", ")
}

// float32Param binds key to a float32 field.
func float32Param(key string, field *float32) param {
	return param{
		key:    key,
		format: func() string { return formatFloat32(*field) },
		parse: func(value string) error {
			v, err := parseFloat32(value)
			if err != nil {
				return err
			}
			*field = v
			return nil
		},
	}
}

// intParam binds key to an int field.
func intParam(key string, field *int) param {
	return param{
		key:    key,
		format: func() string { return strconv.Itoa(*field) },
		parse: func(value string) error {
			v, err := strconv.Atoi(value)
			if err != nil {
				return fmt.Errorf("invalid integer")
			}
			*field = v
			return nil
		},
	}
}

// int64Param binds key to an int64 field.
func int64Param(key string, field *int64) param {
	return param{
		key:    key,
		format: func() string { return strconv.FormatInt(*field, 10) },
		parse: func(value string) error {
			v, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return fmt.Errorf("invalid 64-bit integer")
			}
			*field = v
			return nil
		},
	}
}

// formatFloat32 returns the shortest decimal form that parses back to v.
func formatFloat32(v float32) string {
	return strconv.FormatFloat(float64(v), 'g', -1, 32)
}

// parseFloat32 reads a finite decimal number or a fraction "p/q".
func parseFloat32(value string) (float32, error) {
	numerator, denominator, isFraction := strings.Cut(value, "/")

	v, err := strconv.ParseFloat(strings.TrimSpace(numerator), 64)
	if err != nil {
		return 0, fmt.Errorf("invalid number, expected a decimal such as 0.03 or a fraction " +
			"such as 8/255")
	}
	if isFraction {
		d, err := strconv.ParseFloat(strings.TrimSpace(denominator), 64)
		if err != nil || d == 0 {
			return 0, fmt.Errorf("invalid fraction, expected a nonzero denominator as in 8/255")
		}
		v /= d
	}

	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
		return 0, fmt.Errorf("invalid number, expected a finite float32")
	}
	return float32(v), nil
}
