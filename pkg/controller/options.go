package controller

import (
	"fmt"
	"strconv"
	"time"

	"github.com/theforeman/foreman-operator/pkg/runner"
	"github.com/theforeman/foreman-operator/pkg/watches"
)

// Annotations on a CR that tune its runs, as in upstream ansible-operator.
const (
	AnnotationReconcilePeriod    = "ansible.sdk.operatorframework.io/reconcile-period"
	AnnotationVerbosity          = "ansible.sdk.operatorframework.io/verbosity"
	AnnotationMaxRunnerArtifacts = "ansible.sdk.operatorframework.io/max-runner-artifacts"
)

// runAnnotations are the annotations whose change re-runs the role, whatever
// watchAnnotationsChanges says: a run cannot otherwise pick up a fixed value.
var runAnnotations = []string{AnnotationReconcilePeriod, AnnotationVerbosity, AnnotationMaxRunnerArtifacts}

// runOptions are the per-CR settings of one run.
type runOptions struct {
	period       time.Duration
	verbosity    int
	maxArtifacts int
}

// AnnotationError is an invalid run annotation on a CR.
type AnnotationError struct {
	Annotation, Value, Reason string
}

func (e *AnnotationError) Error() string {
	return fmt.Sprintf("annotation %s: %q %s", e.Annotation, e.Value, e.Reason)
}

// optionsFor resolves a CR's run options. Precedence: the CR's annotations,
// then the watch (already folded with environment overrides and flags by
// Setup).
func optionsFor(w *watches.Watch, period time.Duration, verbosity int, annotations map[string]string) (runOptions, error) {
	o := runOptions{period: period, verbosity: verbosity, maxArtifacts: w.MaxRunnerArtifacts}
	if v, ok := annotations[AnnotationReconcilePeriod]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return o, &AnnotationError{AnnotationReconcilePeriod, v, "is not a non-negative duration such as 30s or 1h"}
		}
		o.period = d
	}
	if v, ok := annotations[AnnotationVerbosity]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > runner.MaxVerbosity {
			return o, &AnnotationError{AnnotationVerbosity, v, fmt.Sprintf("is not a whole number from 0 to %d", runner.MaxVerbosity)}
		}
		o.verbosity = n
	}
	if v, ok := annotations[AnnotationMaxRunnerArtifacts]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, &AnnotationError{AnnotationMaxRunnerArtifacts, v, "is not a whole number, 0 or more (0 keeps every run)"}
		}
		o.maxArtifacts = n
	}
	return o, nil
}
