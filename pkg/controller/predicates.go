package controller

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/theforeman/foreman-operator/pkg/watches"
)

// primaryPredicate filters the events of a watched kind as upstream does: an
// update passes when the generation changed, or the object has no generation
// (core kinds such as Secrets), or (with watchAnnotationsChanges) its
// annotations changed; ANDed with the watch's label selector. Status writes,
// the operator's own included, never pass. Changes of the run annotations
// always pass, so that a fixed annotation takes effect.
func primaryPredicate(w *watches.Watch) (predicate.Predicate, error) {
	updates := []predicate.Predicate{
		predicate.GenerationChangedPredicate{},
		noGeneration{},
		runAnnotationsChanged{},
	}
	if w.WatchAnnotationsChanges {
		updates = append(updates, predicate.AnnotationChangedPredicate{})
	}
	selector, err := predicate.LabelSelectorPredicate(w.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector of %s: %w", w.GroupVersionKind, err)
	}
	return predicate.And(predicate.Or(updates...), selector), nil
}

// noGeneration passes updates of objects whose API keeps no generation.
type noGeneration struct{ predicate.Funcs }

func (noGeneration) Update(e event.UpdateEvent) bool {
	return e.ObjectNew != nil && e.ObjectNew.GetGeneration() == 0
}

// runAnnotationsChanged passes updates that change a run annotation.
type runAnnotationsChanged struct{ predicate.Funcs }

func (runAnnotationsChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	return annotationsDiffer(e.ObjectOld, e.ObjectNew, runAnnotations)
}

func annotationsDiffer(a, b client.Object, keys []string) bool {
	for _, k := range keys {
		va, oka := a.GetAnnotations()[k]
		vb, okb := b.GetAnnotations()[k]
		if oka != okb || va != vb {
			return true
		}
	}
	return false
}
