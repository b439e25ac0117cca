package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Event names the collector and the runner act on. Others pass through.
const (
	PlaybookOnStart            = "playbook_on_start"
	PlaybookOnPlayStart        = "playbook_on_play_start"
	PlaybookOnTaskStart        = "playbook_on_task_start"
	PlaybookOnHandlerTaskStart = "playbook_on_handler_task_start"
	PlaybookOnStats            = "playbook_on_stats"
	RunnerOnStart              = "runner_on_start"
	RunnerOnOk                 = "runner_on_ok"
	RunnerOnFailed             = "runner_on_failed"
	RunnerOnSkipped            = "runner_on_skipped"
	RunnerOnUnreachable        = "runner_on_unreachable"
	RunnerItemOnOk             = "runner_item_on_ok"
	RunnerItemOnFailed         = "runner_item_on_failed"
	RunnerItemOnSkipped        = "runner_item_on_skipped"
	RunnerOnAsyncPoll          = "runner_on_async_poll"
	RunnerOnAsyncOk            = "runner_on_async_ok"
	RunnerOnAsyncFailed        = "runner_on_async_failed"
)

// Event is one Ansible job event, as ansible-runner and pkg/runner's callback
// plugin write it.
type Event struct {
	UUID    string `json:"uuid"`
	Counter int    `json:"counter"`
	// Event is the event's name, e.g. runner_on_failed.
	Event   string `json:"event"`
	Created Time   `json:"created"`
	// Pid is the process that emitted the event: ansible-playbook's for
	// the plugin, ansible-runner's for its own events.
	Pid int `json:"pid,omitempty"`
	// Stdout is the text Ansible shows for the event. The plugin fills it
	// for failures only.
	Stdout    string    `json:"stdout,omitempty"`
	EventData EventData `json:"event_data"`
}

// EventData is the payload of an event. Which fields are set depends on the
// event: task events carry the task fields, result events add Host and Res,
// and playbook_on_stats carries the per-host counters and ArtifactData.
type EventData struct {
	Playbook string `json:"playbook,omitempty"`
	Play     string `json:"play,omitempty"`
	Task     string `json:"task,omitempty"`
	// TaskAction is the module as written in the task, e.g. command.
	TaskAction string `json:"task_action,omitempty"`
	// ResolvedAction is the module's full name, e.g.
	// ansible.builtin.command.
	ResolvedAction string `json:"resolved_action,omitempty"`
	// TaskPath is where the task is defined, as file:line.
	TaskPath string `json:"task_path,omitempty"`
	TaskUUID string `json:"task_uuid,omitempty"`
	Host     string `json:"host,omitempty"`
	// Res is the module's result, already censored for no_log tasks.
	Res               map[string]any `json:"res,omitempty"`
	IgnoreErrors      bool           `json:"ignore_errors,omitempty"`
	IgnoreUnreachable bool           `json:"ignore_unreachable,omitempty"`
	Start             Time           `json:"start,omitzero"`
	End               Time           `json:"end,omitzero"`
	// Duration is the task's run time on Host in seconds.
	Duration float64 `json:"duration,omitempty"`

	// Rescued, on runner_on_failed, maps a host to 1 when the failure was
	// rescued; on playbook_on_stats it counts rescued tasks per host.
	Rescued map[string]int `json:"rescued,omitempty"`

	// The counters of playbook_on_stats, per host. Dark counts
	// unreachable tasks.
	Ok        map[string]int `json:"ok,omitempty"`
	Changed   map[string]int `json:"changed,omitempty"`
	Skipped   map[string]int `json:"skipped,omitempty"`
	Failures  map[string]int `json:"failures,omitempty"`
	Dark      map[string]int `json:"dark,omitempty"`
	Ignored   map[string]int `json:"ignored,omitempty"`
	Processed map[string]int `json:"processed,omitempty"`
	// ArtifactData is the data of set_stats (aggregated, not per host).
	ArtifactData map[string]any `json:"artifact_data,omitempty"`
}

// Time is an event timestamp. It decodes ISO 8601 with or without a UTC
// offset; one without an offset is UTC. It encodes as RFC 3339.
type Time struct {
	time.Time
}

// timeLayouts are tried in order. The first takes Z and any offset, with or
// without fractional seconds; the second is ansible-runner 2.3's
// datetime.utcnow().isoformat().
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}

// ParseTime parses an event timestamp.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("parse event time %q: not ISO 8601 with an optional UTC offset", s)
}

// UnmarshalJSON implements json.Unmarshaler. null and "" leave t zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("event time: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format(time.RFC3339Nano))
}
