package foremanstatus

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// The reporter's condition types.
const (
	TypeReady       = "Ready"
	TypeProgressing = "Progressing"
	TypeDegraded    = "Degraded"
)

// The engine's condition types, which the reporter reads and never writes.
const (
	typeRunning    = "Running"
	typeSuccessful = "Successful"
	typeFailure    = "Failure"
)

// The reasons of the reporter's conditions, one per verdict.
const (
	ReasonAllComponentsReady = "AllComponentsReady"
	ReasonAwaitingAnsibleRun = "AwaitingAnsibleRun"
	ReasonAwaitingComponents = "AwaitingComponents"
	ReasonAnsibleRunFailed   = "AnsibleRunFailed"
	ReasonComponentFailed    = "ComponentFailed"
)

// State is what a verdict says about Foreman: exactly one of the reporter's
// condition types is True.
type State string

// The states, named after the condition each makes True.
const (
	StateReady       State = TypeReady
	StateProgressing State = TypeProgressing
	StateDegraded    State = TypeDegraded
)

// Verdict is the outcome of the readiness chain.
type Verdict struct {
	State   State
	Reason  string
	Message string
}

// Input is what a verdict is computed from.
type Input struct {
	// Generation of the Foreman.
	Generation int64
	// Conditions as found in its status; the engine's are among them.
	Conditions []v1alpha1.Condition
	// RunsReported is whether the engine writes its run conditions
	// (watches.yaml manageStatus); when not, no run is waited for.
	RunsReported bool
	// Components as observed, in the order of ExpectedComponents.
	Components []Observed
}

// A Policy is one check of the readiness chain: it returns a verdict and
// true when what it checks is not (yet) right.
type Policy func(Input) (Verdict, bool)

// Chain is a list of policies evaluated in order.
type Chain []Policy

// NewReadinessChain returns the checks of Foreman's readiness in the order
// they are judged: what needs someone to act first, then what is still
// coming.
func NewReadinessChain() Chain {
	return Chain{
		RunFailed,          // the engine's last run failed
		ComponentFailed,    // a workload failed: Job failed, Deployment stuck
		RunPending,         // the engine has not yet succeeded for this generation
		ComponentsNotReady, // a component is missing or not ready yet
	}
}

// Evaluate returns the verdict of the first policy that fails, or Ready.
func (c Chain) Evaluate(in Input) Verdict {
	for _, p := range c {
		if v, failed := p(in); failed {
			return v
		}
	}
	return Verdict{State: StateReady, Reason: ReasonAllComponentsReady,
		Message: fmt.Sprintf("All %d components are ready; generation %d is reconciled", len(in.Components), in.Generation)}
}

// maxRunMessage bounds the part of the engine's Failure message repeated in
// the reporter's conditions.
const maxRunMessage = 1024

// RunFailed fails while the engine's Failure condition is True.
func RunFailed(in Input) (Verdict, bool) {
	f := find(in.Conditions, typeFailure)
	if f == nil || f.Status != metav1.ConditionTrue {
		return Verdict{}, false
	}
	msg := fmt.Sprintf("The Ansible run of generation %d failed (%s)", f.ObservedGeneration, f.Reason)
	if f.Message != "" {
		msg += ": " + truncate(f.Message, maxRunMessage)
	}
	return Verdict{State: StateDegraded, Reason: ReasonAnsibleRunFailed, Message: msg}, true
}

// ComponentFailed fails while a component's workload failed.
func ComponentFailed(in Input) (Verdict, bool) {
	msg := componentMessages(in.Components, func(c Observed) bool { return c.Failed })
	if msg == "" {
		return Verdict{}, false
	}
	return Verdict{State: StateDegraded, Reason: ReasonComponentFailed, Message: msg}, true
}

// RunPending fails until the engine's Successful condition is True for the
// current generation.
func RunPending(in Input) (Verdict, bool) {
	if !in.RunsReported {
		return Verdict{}, false
	}
	s := find(in.Conditions, typeSuccessful)
	if s != nil && s.Status == metav1.ConditionTrue && s.ObservedGeneration == in.Generation {
		return Verdict{}, false
	}
	msg := fmt.Sprintf("Waiting for an Ansible run of generation %d", in.Generation)
	if r := find(in.Conditions, typeRunning); r != nil && r.Status == metav1.ConditionTrue && r.ObservedGeneration == in.Generation {
		msg = fmt.Sprintf("The Ansible run of generation %d is in progress", in.Generation)
	}
	return Verdict{State: StateProgressing, Reason: ReasonAwaitingAnsibleRun, Message: msg}, true
}

// ComponentsNotReady fails while a component is not ready.
func ComponentsNotReady(in Input) (Verdict, bool) {
	msg := componentMessages(in.Components, func(c Observed) bool { return !c.Ready })
	if msg == "" {
		return Verdict{}, false
	}
	return Verdict{State: StateProgressing, Reason: ReasonAwaitingComponents, Message: msg}, true
}

// componentMessages joins "<component>: <message>" of the components that
// match, in order.
func componentMessages(cs []Observed, match func(Observed) bool) string {
	var parts []string
	for _, c := range cs {
		if match(c) {
			parts = append(parts, c.Name+": "+c.Message)
		}
	}
	return strings.Join(parts, "; ")
}

func find(cs []v1alpha1.Condition, typ string) *v1alpha1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
