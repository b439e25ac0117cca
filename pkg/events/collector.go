package events

import (
	"fmt"
	"strings"
	"time"
)

// Host is the inventory host whose counters make Summary.Stats.
const Host = "localhost"

// set_stats data keys a role reports through.
const (
	// KeyOperatorStatus holds a map merged into the CR's .status; its
	// conditions key holds custom conditions.
	KeyOperatorStatus = "operator_status"
	// KeyRequeueAfter holds a Go duration string, e.g. "90s".
	KeyRequeueAfter = "operator_requeue_after"
)

// requeueActions are upstream's operator_sdk.util.requeue_after module, which
// returns {period: "<duration>"}.
var requeueActions = map[string]bool{
	"requeue_after":                   true,
	"operator_sdk.util.requeue_after": true,
}

// UnknownFailure is the message of a failure whose result says nothing.
const UnknownFailure = "unknown playbook failure"

// snippetBytes bounds the stderr or stdout tail that stands in for a missing
// msg.
const snippetBytes = 512

// Summary is what one run reported.
type Summary struct {
	// Stats are the final counters of host localhost; nil when no
	// playbook_on_stats event arrived.
	Stats *Stats
	// Failures are the failed tasks that were neither ignored nor rescued,
	// and the unreachable ones, in the order they happened.
	Failures []Failure
	// CustomStatus is set_stats data key operator_status: a map merged
	// into .status, with custom conditions under its conditions key. Nil
	// when the role reported none.
	CustomStatus map[string]any
	// RequeueAfter is set_stats data key operator_requeue_after, or the
	// period of upstream's requeue_after module; zero when not reported.
	RequeueAfter time.Duration
	// Completion is the time of the playbook_on_stats event; zero without
	// one.
	Completion time.Time
	// Warnings describe reported values that were ignored.
	Warnings []string
}

// Stats are Ansible's counters for one host.
type Stats struct {
	Ok, Changed, Skipped, Failures, Unreachable, Rescued, Ignored int
}

// Failure is one failed or unreachable task.
type Failure struct {
	Task string
	// TaskPath is where the task is defined, as file:line.
	TaskPath string
	// Action is the module, e.g. ansible.builtin.command.
	Action string
	Host   string
	// Message is res.msg, else a tail of res.stderr or res.stdout, else
	// UnknownFailure. For a no_log task it is Ansible's censored notice.
	Message string
	// Stdout is what Ansible printed for the failure, when the event
	// carries it.
	Stdout string
	// Unreachable is set when Ansible could not reach Host.
	Unreachable bool
}

// Collector folds events into a Summary. The zero value is ready to use. It
// is not safe for concurrent use.
type Collector struct {
	failures     []candidate
	stats        *EventData
	completion   time.Time
	customStatus map[string]any
	requeueAfter time.Duration
	warnings     []string
}

// candidate is a failure that the stats may still show was rescued or
// ignored.
type candidate struct {
	Failure
	rescued bool
}

// Add folds one event into the summary.
func (c *Collector) Add(ev Event) {
	d := ev.EventData
	switch ev.Event {
	case RunnerOnFailed:
		if d.IgnoreErrors {
			return
		}
		c.failures = append(c.failures, candidate{Failure: failure(ev, false), rescued: d.Rescued[d.Host] > 0})
	case RunnerOnUnreachable:
		if d.IgnoreUnreachable {
			return
		}
		c.failures = append(c.failures, candidate{Failure: failure(ev, true)})
	case RunnerOnOk:
		if requeueActions[d.TaskAction] || requeueActions[d.ResolvedAction] {
			c.requeueFromModule(d.Res)
		}
	case PlaybookOnStats:
		c.stats = &d
		c.completion = ev.Created.Time
		c.customStatus = nil
		c.fromArtifactData(d.ArtifactData)
	}
}

// Summary returns what the events added so far report.
func (c *Collector) Summary() Summary {
	s := Summary{
		CustomStatus: c.customStatus,
		RequeueAfter: c.requeueAfter,
		Completion:   c.completion,
		Warnings:     append([]string(nil), c.warnings...),
	}
	if c.stats != nil {
		d := c.stats
		s.Stats = &Stats{
			Ok: d.Ok[Host], Changed: d.Changed[Host], Skipped: d.Skipped[Host],
			Failures: d.Failures[Host], Unreachable: d.Dark[Host],
			Rescued: d.Rescued[Host], Ignored: d.Ignored[Host],
		}
	}
	for _, f := range c.failures {
		if f.rescued || c.settledByStats(f.Failure) {
			continue
		}
		s.Failures = append(s.Failures, f.Failure)
	}
	return s
}

// settledByStats reports whether the stats show that f did not fail its
// host: every failed, non-ignored task counts either as a failure or as
// rescued, and every unreachable one either as dark or as ignored.
func (c *Collector) settledByStats(f Failure) bool {
	if c.stats == nil {
		return false
	}
	if f.Unreachable {
		return c.stats.Dark[f.Host] == 0
	}
	return c.stats.Failures[f.Host] == 0
}

func failure(ev Event, unreachable bool) Failure {
	d := ev.EventData
	action := d.ResolvedAction
	if action == "" {
		action = d.TaskAction
	}
	return Failure{
		Task:        d.Task,
		TaskPath:    d.TaskPath,
		Action:      action,
		Host:        d.Host,
		Message:     message(d.Res),
		Stdout:      ev.Stdout,
		Unreachable: unreachable,
	}
}

// message picks the text that best says why a task failed.
func message(res map[string]any) string {
	if s := text(res["msg"]); s != "" {
		return s
	}
	for _, key := range []string{"stderr", "stdout"} {
		if s := strings.TrimSpace(text(res[key])); s != "" {
			return tail(s, snippetBytes)
		}
	}
	if s := text(res["censored"]); s != "" {
		return s
	}
	return UnknownFailure
}

// text renders a result value; msg is usually a string but modules may
// return anything.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// tail returns the last n bytes of s, cut at a rune boundary and marked.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	for cut < len(s) && !isRuneStart(s[cut]) {
		cut++
	}
	return "..." + s[cut:]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func (c *Collector) fromArtifactData(data map[string]any) {
	if v, ok := data[KeyOperatorStatus]; ok && v != nil {
		if st, ok := v.(map[string]any); ok {
			c.customStatus = st
		} else {
			c.warnf("set_stats %s is a %s, not a map; ignored", KeyOperatorStatus, jsonKind(v))
		}
	}
	if v, ok := data[KeyRequeueAfter]; ok && v != nil {
		c.setRequeue("set_stats "+KeyRequeueAfter, v)
	}
}

func (c *Collector) requeueFromModule(res map[string]any) {
	if v, ok := res["period"]; ok {
		c.setRequeue("requeue_after period", v)
	}
}

func (c *Collector) setRequeue(source string, v any) {
	s, ok := v.(string)
	if !ok {
		c.warnf("%s is a %s, not a duration string; ignored", source, jsonKind(v))
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		c.warnf("%s %q is not a duration (e.g. 90s, 5m); ignored", source, s)
	case d < 0:
		c.warnf("%s %q is negative; ignored", source, s)
	default:
		c.requeueAfter = d
	}
}

func (c *Collector) warnf(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	default:
		return fmt.Sprintf("%T", v)
	}
}
