package attacks

import (
	"strings"
	"testing"
)

func TestParseStringRoundTrip(t *testing.T) {
	attacks := []Attack{
		FGSM{Eps: 0.3},
		FGSM{Eps: 16.0 / 255},
		IFGSM{Eps: 0.3},
		IFGSM{Eps: 8.0 / 255, Alpha: 1.0 / 255, Steps: 40},
		PGD{Eps: 0.3},
		PGD{Eps: 0.3, Alpha: 0.01, Steps: 40, Seed: -9},
		MIFGSM{Eps: 16.0 / 255},
		MIFGSM{Eps: 0.1, Alpha: 0.005, Steps: 25, Decay: 0.9},
		MIFGSM{Eps: 0.1, Decay: NoMomentum},
	}
	for _, a := range attacks {
		s := a.String()
		parsed, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		if parsed.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, parsed.String())
		}
		if parsed.Name() != a.Name() {
			t.Errorf("Parse(%q).Name() = %q, want %q", s, parsed.Name(), a.Name())
		}
	}
}

func TestStringFillsDefaults(t *testing.T) {
	cases := []struct {
		attack Attack
		want   string
	}{
		{FGSM{Eps: 0.3}, "fgsm:eps=0.3"},
		{IFGSM{Eps: 0.3}, "ifgsm:eps=0.3,alpha=0.03,steps=10"},
		{IFGSM{Eps: 0.3, Steps: 3}, "ifgsm:eps=0.3,alpha=0.1,steps=3"},
		{PGD{Eps: 0.3, Seed: 1}, "pgd:eps=0.3,alpha=0.03,steps=10,seed=1"},
		{PGD{Eps: 0.5, Alpha: 0.01, Steps: 40}, "pgd:eps=0.5,alpha=0.01,steps=40,seed=0"},
		{MIFGSM{Eps: 0.2}, "mifgsm:eps=0.2,alpha=0.02,steps=10,decay=1"},
		{MIFGSM{Eps: 0.2, Decay: -0.5}, "mifgsm:eps=0.2,alpha=0.02,steps=10,decay=0"},
	}
	for _, c := range cases {
		if got := c.attack.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.attack, got, c.want)
		}
	}
}

func TestParseShortForms(t *testing.T) {
	cases := []struct {
		in   string
		want Attack
	}{
		{"fgsm:eps=0.3", FGSM{Eps: 0.3}},
		{" FGSM : EPS = 0.3 ", FGSM{Eps: 0.3}},
		{"ifgsm:eps=16/255", IFGSM{Eps: 16.0 / 255}},
		{"ifgsm:steps=5,eps=0.1", IFGSM{Eps: 0.1, Steps: 5}},
		{"pgd:eps=8/255,alpha=2/255,steps=7", PGD{Eps: 8.0 / 255, Alpha: 2.0 / 255, Steps: 7}},
		{"pgd:eps=0.3,seed=123", PGD{Eps: 0.3, Seed: 123}},
		{"mifgsm:eps=0.3", MIFGSM{Eps: 0.3}},
		{"mifgsm:eps=0.3,decay=0", MIFGSM{Eps: 0.3, Decay: NoMomentum}},
		{"mifgsm:eps=0.3,decay=0.5", MIFGSM{Eps: 0.3, Decay: 0.5}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"cw:eps=0.3", []string{`unknown attack name "cw"`, "fgsm, ifgsm, pgd, mifgsm"}},
		{"", []string{`unknown attack name ""`, "fgsm, ifgsm, pgd, mifgsm"}},
		{"fgsm", []string{"parse fgsm", "eps is missing"}},
		{"fgsm:eps=0.3,steps=10", []string{`unknown key "steps"`, "valid keys: eps"}},
		{"pgd:eps=0.3,decay=1", []string{`unknown key "decay"`,
			"valid keys: eps, alpha, steps, seed"}},
		{"mifgsm:eps=0.3,seed=1", []string{`unknown key "seed"`,
			"valid keys: eps, alpha, steps, decay"}},
		{"pgd:eps=0.3,steps", []string{`setting "steps" is not of the form key=value`}},
		{"pgd:eps=0.3,", []string{`setting "" is not of the form key=value`}},
		{"pgd:eps=0.3,eps=0.1", []string{`key "eps" is set twice`}},
		{"pgd:eps=abc", []string{"eps=abc: invalid number"}},
		{"pgd:eps=1/0", []string{"eps=1/0: invalid fraction"}},
		{"pgd:eps=NaN", []string{"eps=NaN: invalid number"}},
		{"pgd:eps=1e40", []string{"eps=1e40: invalid number"}},
		{"pgd:eps=2", []string{"parse pgd", "eps=2 is invalid", "(0, 1]"}},
		{"pgd:eps=0.3,steps=2.5", []string{"steps=2.5: invalid integer"}},
		{"pgd:eps=0.3,steps=-1", []string{"steps=-1 is invalid"}},
		{"pgd:eps=0.3,seed=x", []string{"seed=x: invalid 64-bit integer"}},
		{"ifgsm:eps=0.3,alpha=-0.1", []string{"alpha=-0.1 is invalid"}},
		{"mifgsm:eps=0.3,decay=-1", []string{"decay=-1: invalid momentum factor"}},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) returned no error", c.in)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Parse(%q) error %q does not contain %q", c.in, err, want)
			}
		}
	}
}

func TestNamesParse(t *testing.T) {
	for _, name := range Names() {
		a, err := Parse(name + ":eps=0.1")
		if err != nil {
			t.Errorf("Parse of listed name %q: %v", name, err)
			continue
		}
		if a.Name() != name {
			t.Errorf("Parse(%q).Name() = %q", name, a.Name())
		}
	}
}
