package eval

import (
	"fmt"
	"math"
	"strings"
)

// Metric selects which rate of a Row a Markdown table or a chart shows.
// The zero value is MetricSuccessAll.
type Metric int

const (
	// MetricSuccessAll is Row.SuccessAll, 1 - accuracy under attack.
	MetricSuccessAll Metric = iota

	// MetricSuccessCorrect is Row.SuccessCorrect, the success rate over
	// the images the target classified correctly before the attack.
	MetricSuccessCorrect

	// MetricFoolingRate is Row.FoolingRate, the fraction of predictions
	// the attack changed.
	MetricFoolingRate

	// MetricCleanAccuracy is Row.CleanAccuracy, the target's accuracy on
	// the clean images.
	MetricCleanAccuracy

	metricCount
)

var metricNames = [metricCount]string{
	MetricSuccessAll:     "success-all",
	MetricSuccessCorrect: "success-correct",
	MetricFoolingRate:    "fooling-rate",
	MetricCleanAccuracy:  "clean-accuracy",
}

var metricDescriptions = [metricCount]string{
	MetricSuccessAll:     "attack success rate over all images (1 - accuracy under attack)",
	MetricSuccessCorrect: "attack success rate over the images the target classified correctly",
	MetricFoolingRate:    "fooling rate (prediction changed from the clean prediction)",
	MetricCleanAccuracy:  "clean accuracy of the target",
}

var metricLabels = [metricCount]string{
	MetricSuccessAll:     "success over all images",
	MetricSuccessCorrect: "success over correctly classified images",
	MetricFoolingRate:    "fooling rate",
	MetricCleanAccuracy:  "clean accuracy",
}

// Metrics returns every valid Metric in a fixed order.
func Metrics() []Metric {
	metrics := make([]Metric, metricCount)
	for i := range metrics {
		metrics[i] = Metric(i)
	}
	return metrics
}

// ParseMetric returns the Metric named s, one of "success-all",
// "success-correct", "fooling-rate" and "clean-accuracy".
func ParseMetric(s string) (Metric, error) {
	for i, name := range metricNames {
		if s == name {
			return Metric(i), nil
		}
	}
	return 0, fmt.Errorf("unknown metric %q, want one of %s",
		s, strings.Join(metricNames[:], ", "))
}

// Valid reports whether m is one of the defined metrics.
func (m Metric) Valid() bool {
	return m >= 0 && m < metricCount
}

// String returns the name ParseMetric accepts, or "Metric(n)" for an
// invalid metric.
func (m Metric) String() string {
	if !m.Valid() {
		return fmt.Sprintf("Metric(%d)", int(m))
	}
	return metricNames[m]
}

// Description returns a sentence fragment that defines the metric, for
// table captions.
func (m Metric) Description() string {
	if !m.Valid() {
		return m.String()
	}
	return metricDescriptions[m]
}

// Label returns a short name of the metric, for axis labels.
func (m Metric) Label() string {
	if !m.Valid() {
		return m.String()
	}
	return metricLabels[m]
}

// Value returns the metric's value in r as a fraction in [0, 1], NaN when
// the row has none, and NaN for an invalid metric.
func (m Metric) Value(r Row) float64 {
	switch m {
	case MetricSuccessAll:
		return r.SuccessAll
	case MetricSuccessCorrect:
		return r.SuccessCorrect
	case MetricFoolingRate:
		return r.FoolingRate
	case MetricCleanAccuracy:
		return r.CleanAccuracy
	}
	return math.NaN()
}
