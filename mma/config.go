// Package mma builds the multi-track model architecture (MMA) of Fan et
// al., "Enhance transferability of adversarial examples with model
// architecture" (ICASSP 2023, arXiv 2202.13625): a backbone decomposed into
// K parallel, narrower tracks whose logits are fused again. Adversarial
// examples crafted on the fused model are claimed to transfer better to
// unseen architectures than those crafted on the backbone.
//
// New takes a backbone as a models.Spec and a Config and returns a
// models.Net, which models.NewModel turns into a classifier that can be
// trained and attacked like any other.
package mma

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Width is the rule that sets the channel count of each track as a ratio r
// of the backbone's channel count.
type Width string

// The width rules.
const (
	// Balanced uses r = 1/sqrt(K). A convolution's cost grows with the
	// square of its width, so K tracks cost about as much as the backbone.
	Balanced Width = "balanced"
	// Thin uses r = 1/K.
	Thin Width = "thin"
	// Full uses r = 1: every track is as wide as the backbone.
	Full Width = "full"
)

// Fusion is the way the tracks' logits are combined into the model's.
type Fusion string

// The fusion rules.
const (
	// Mean averages the tracks' logits: z = (1/K) sum_k z_k.
	Mean Fusion = "mean"
	// SoftmaxMean averages the tracks' class probabilities,
	// p = (1/K) sum_k softmax(z_k), and gives log p as the logits, so the
	// cross-entropy of the fused logits is the loss on log p.
	SoftmaxMean Fusion = "softmax-mean"
	// Concat concatenates the tracks' features (the input of each track's
	// classifier) and classifies them with one shared linear layer. Each
	// track keeps its own classifier for the auxiliary loss only.
	Concat Fusion = "concat"
)

// AttackLoss selects the loss that attacks on an MMA maximise.
type AttackLoss string

// The attack losses.
const (
	// Fused is the cross-entropy of the fused logits.
	Fused AttackLoss = "fused"
	// TrackMean is the mean over tracks of each track's cross-entropy.
	TrackMean AttackLoss = "track-mean"
)

// Default values of the Config fields, used where a field is zero.
const (
	DefaultTracks = 4
	DefaultAux    = 1.0
)

// minChannels is the floor on a track's channel or feature count after
// the width ratio is applied.
const minChannels = 4

// Config selects how a backbone is decomposed and fused. The zero value is
// the default MMA: 4 tracks from the input on, balanced width, mean fusion,
// auxiliary loss weight 1 and the fused attack loss.
type Config struct {
	// Tracks is K, the number of parallel tracks; 0 means 4. K = 1 gives
	// back the backbone itself, without an auxiliary loss.
	Tracks int

	// Split is the index of the first backbone stage that is decomposed
	// into tracks. Stages before it stay shared, one copy. 0 starts the
	// tracks at the input.
	Split int

	// Width is the width rule; "" means Balanced.
	Width Width

	// Fusion is the way the tracks' logits are combined; "" means Mean.
	Fusion Fusion

	// Hetero makes the tracks heterogeneous: track k varies the backbone
	// in kernel size, activation, downsampling and skip connections by
	// the fixed cycle that Variant(k) documents. False gives homogeneous
	// tracks, copies of the backbone with independent initial weights.
	Hetero bool

	// Aux is the weight of the auxiliary loss (1/K) sum_k CE(z_k, y) added
	// to the training loss; 0 means 1. Set NoAux to switch it off.
	Aux float64

	// NoAux switches the auxiliary loss off ("aux=0" in the string form).
	NoAux bool

	// AttackLoss is the loss attacks maximise; "" means Fused.
	AttackLoss AttackLoss
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Tracks == 0 {
		c.Tracks = DefaultTracks
	}
	if c.Width == "" {
		c.Width = Balanced
	}
	if c.Fusion == "" {
		c.Fusion = Mean
	}
	if c.Aux == 0 {
		c.Aux = DefaultAux
	}
	if c.AttackLoss == "" {
		c.AttackLoss = Fused
	}
	return c
}

// validate checks the fields that do not depend on the backbone.
func (c Config) validate() error {
	if c.Tracks < 1 {
		return fmt.Errorf("mma: tracks k = %d, want k >= 1", c.Tracks)
	}
	if c.Split < 0 {
		return fmt.Errorf("mma: split = %d, want a stage index >= 0", c.Split)
	}
	switch c.Width {
	case Balanced, Thin, Full:
	default:
		return fmt.Errorf("mma: width %q, want balanced, thin or full", c.Width)
	}
	switch c.Fusion {
	case Mean, SoftmaxMean, Concat:
	default:
		return fmt.Errorf("mma: fusion %q, want mean, softmax-mean or concat", c.Fusion)
	}
	if c.Aux < 0 || math.IsNaN(c.Aux) || math.IsInf(c.Aux, 0) {
		return fmt.Errorf("mma: aux = %v, want a finite weight >= 0", c.Aux)
	}
	switch c.AttackLoss {
	case Fused, TrackMean:
	default:
		return fmt.Errorf("mma: attack loss %q, want fused or track-mean", c.AttackLoss)
	}
	if c.Fusion == Concat && c.auxWeight() == 0 && c.AttackLoss == TrackMean && c.Tracks > 1 {
		return fmt.Errorf("mma: attack-loss=track-mean needs the tracks' own classifiers, " +
			"which fusion=concat keeps only with aux > 0")
	}
	return nil
}

// ratio returns the width ratio r of each track.
func (c Config) ratio() float64 {
	switch c.Width {
	case Thin:
		return 1 / float64(c.Tracks)
	case Full:
		return 1
	default:
		return 1 / math.Sqrt(float64(c.Tracks))
	}
}

// auxWeight returns the weight of the auxiliary loss actually used: zero
// when switched off or when there is a single track.
func (c Config) auxWeight() float64 {
	if c.NoAux || c.Tracks == 1 {
		return 0
	}
	return c.Aux
}

// String returns the full form of c with defaults filled in, such as
// "k=4,split=0,width=balanced,fusion=mean,aux=1,attack-loss=fused".
// ParseConfig reads it back.
func (c Config) String() string {
	c = c.withDefaults()
	aux := strconv.FormatFloat(c.Aux, 'g', -1, 64)
	if c.NoAux {
		aux = "0"
	}
	return fmt.Sprintf("k=%d,split=%d,width=%s,hetero=%s,fusion=%s,aux=%s,attack-loss=%s",
		c.Tracks, c.Split, c.Width, onOff(c.Hetero), c.Fusion, aux, c.AttackLoss)
}

// configKeys are the keys ParseConfig accepts.
var configKeys = map[string]func(c *Config, value string) error{
	"k":           parseTracks,
	"split":       parseSplit,
	"width":       func(c *Config, v string) error { c.Width = Width(v); return nil },
	"hetero":      parseHetero,
	"fusion":      func(c *Config, v string) error { c.Fusion = Fusion(v); return nil },
	"aux":         parseAux,
	"attack-loss": func(c *Config, v string) error { c.AttackLoss = AttackLoss(v); return nil },
}

func parseTracks(c *Config, value string) error {
	k, err := strconv.Atoi(value)
	if err != nil || k < 1 {
		return fmt.Errorf("k=%s: want a whole number of tracks >= 1", value)
	}
	c.Tracks = k
	return nil
}

func parseSplit(c *Config, value string) error {
	split, err := strconv.Atoi(value)
	if err != nil || split < 0 {
		return fmt.Errorf("split=%s: want a stage index >= 0", value)
	}
	c.Split = split
	return nil
}

func parseHetero(c *Config, value string) error {
	switch value {
	case "on":
		c.Hetero = true
	case "off":
		c.Hetero = false
	default:
		return fmt.Errorf("hetero=%s: want on or off", value)
	}
	return nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func parseAux(c *Config, value string) error {
	weight, err := strconv.ParseFloat(value, 64)
	if err != nil || weight < 0 || math.IsNaN(weight) || math.IsInf(weight, 0) {
		return fmt.Errorf("aux=%s: want a finite weight >= 0", value)
	}
	c.Aux, c.NoAux = weight, weight == 0
	return nil
}

// ParseConfig reads the comma-separated key=value form that Config.String
// writes. Keys left out keep their defaults; "" is the default Config.
func ParseConfig(s string) (Config, error) {
	var c Config
	s = strings.TrimSpace(s)
	if s == "" {
		return c, nil
	}
	seen := make(map[string]bool)
	for _, field := range strings.Split(s, ",") {
		key, value, found := strings.Cut(strings.TrimSpace(field), "=")
		if !found {
			return c, fmt.Errorf("mma config %q: field %q is not key=value", s, field)
		}
		if seen[key] {
			return c, fmt.Errorf("mma config %q: key %q is given twice", s, key)
		}
		seen[key] = true
		set, known := configKeys[key]
		if !known {
			return c, fmt.Errorf("mma config %q: unknown key %q, valid keys are %s",
				s, key, strings.Join(validKeys(), ", "))
		}
		if err := set(&c, value); err != nil {
			return c, fmt.Errorf("mma config %q: %w", s, err)
		}
	}
	if err := c.withDefaults().validate(); err != nil {
		return c, fmt.Errorf("mma config %q: %w", s, err)
	}
	return c, nil
}

func validKeys() []string {
	keys := make([]string, 0, len(configKeys))
	for key := range configKeys {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// archSeparator separates the backbone name from the MMA config in an
// architecture string such as "smallcnn/mma:k=4".
const archSeparator = "/mma"

// ParseArch splits an architecture string into its backbone name and, when
// it names an MMA, the MMA config: "smallcnn" gives ("smallcnn", nil) and
// "smallcnn/mma:k=4,split=1" gives ("smallcnn", &Config{Tracks: 4,
// Split: 1}). "smallcnn/mma" is the default MMA of smallcnn.
func ParseArch(arch string) (backbone string, config *Config, err error) {
	backbone, rest, isMMA := strings.Cut(arch, archSeparator)
	if backbone == "" {
		return "", nil, fmt.Errorf("architecture %q: missing backbone name before %q",
			arch, archSeparator)
	}
	if !isMMA {
		return backbone, nil, nil
	}

	var options string
	if rest != "" {
		var found bool
		options, found = strings.CutPrefix(rest, ":")
		if !found {
			return "", nil, fmt.Errorf("architecture %q: want BACKBONE/mma or BACKBONE/mma:KEY=VALUE,...",
				arch)
		}
	}
	parsed, err := ParseConfig(options)
	if err != nil {
		return "", nil, fmt.Errorf("architecture %q: %w", arch, err)
	}
	return backbone, &parsed, nil
}

// Arch returns the architecture string of an MMA of backbone with config
// c, as ParseArch reads it: the track count and every option that differs
// from its default, such as "smallcnn/mma:k=4" or
// "smallcnn/mma:k=8,split=1,width=thin". Since the defaults are fixed, the
// short form names the same model as the full one that c.String gives.
func Arch(backbone string, c Config) string {
	c = c.withDefaults()
	options := []string{"k=" + strconv.Itoa(c.Tracks)}
	if c.Split != 0 {
		options = append(options, "split="+strconv.Itoa(c.Split))
	}
	if c.Width != Balanced {
		options = append(options, "width="+string(c.Width))
	}
	if c.Hetero {
		options = append(options, "hetero=on")
	}
	if c.Fusion != Mean {
		options = append(options, "fusion="+string(c.Fusion))
	}
	if c.NoAux {
		options = append(options, "aux=0")
	} else if c.Aux != DefaultAux {
		options = append(options, "aux="+strconv.FormatFloat(c.Aux, 'g', -1, 64))
	}
	if c.AttackLoss != Fused {
		options = append(options, "attack-loss="+string(c.AttackLoss))
	}
	return backbone + archSeparator + ":" + strings.Join(options, ",")
}
