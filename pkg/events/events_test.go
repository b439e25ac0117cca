package events

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC)
	for _, tc := range []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{name: "A time without an offset is UTC (ansible-runner 2.3)", in: "2024-05-01T10:00:00.123456", want: want},
		{name: "A +00:00 offset is read (ansible-runner 2.4, our plugin)", in: "2024-05-01T10:00:00.123456+00:00", want: want},
		{name: "Z is read", in: "2024-05-01T10:00:00.123456Z", want: want},
		{name: "Another offset is converted to UTC", in: "2024-05-01T12:00:00.123456+02:00", want: want},
		{name: "Whole seconds without an offset are read", in: "2024-05-01T10:00:00", want: want.Truncate(time.Second)},
		{name: "Nanoseconds are kept", in: "2024-05-01T10:00:00.123456789Z", want: want.Add(789)},
		{name: "A date alone is an error", in: "2024-05-01", wantErr: true},
		{name: "A space separator is an error", in: "2024-05-01 10:00:00", wantErr: true},
		{name: "An empty string is an error", in: "", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseTime(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tc.in, got, tc.want)
			}
		})
	}
}

func TestTimeJSON(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{name: "A string with an offset decodes", in: `"2024-05-01T10:00:00.5+00:00"`, want: time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC)},
		{name: "A string without an offset decodes", in: `"2024-05-01T10:00:00.5"`, want: time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC)},
		{name: "null decodes to the zero time", in: `null`},
		{name: "An empty string decodes to the zero time", in: `""`},
		{name: "A number is an error", in: `1714557600`, wantErr: true},
		{name: "A malformed string is an error", in: `"yesterday"`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Time
			err := json.Unmarshal([]byte(tc.in), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tc.wantErr)
			}
			if !got.Equal(tc.want) {
				t.Errorf("decoded %v, want %v", got.Time, tc.want)
			}
			if tc.wantErr {
				return
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var again Time
			if err := json.Unmarshal(b, &again); err != nil || !again.Equal(got.Time) {
				t.Errorf("round trip through %s gave %v, %v", b, again.Time, err)
			}
		})
	}
}

func TestDecoder(t *testing.T) {
	type line struct {
		event   string
		lineErr bool
	}
	for _, tc := range []struct {
		name string
		in   string
		want []line
	}{
		{
			name: "Each line is an event",
			in:   `{"event":"playbook_on_start"}` + "\n" + `{"event":"playbook_on_stats"}` + "\n",
			want: []line{{event: "playbook_on_start"}, {event: "playbook_on_stats"}},
		},
		{
			name: "Blank lines and CRLF are skipped",
			in:   "\n" + `{"event":"playbook_on_start"}` + "\r\n\r\n  \n" + `{"event":"playbook_on_stats"}` + "\n",
			want: []line{{event: "playbook_on_start"}, {event: "playbook_on_stats"}},
		},
		{
			name: "A last line without a newline is read",
			in:   `{"event":"playbook_on_start"}` + "\n" + `{"event":"playbook_on_stats"}`,
			want: []line{{event: "playbook_on_start"}, {event: "playbook_on_stats"}},
		},
		{
			name: "Decoding goes on after a line that is not JSON",
			in:   "Traceback (most recent call last):\n" + `{"event":"playbook_on_stats"}` + "\n",
			want: []line{{lineErr: true}, {event: "playbook_on_stats"}},
		},
		{
			name: "An object without an event name is a line error",
			in:   `{"uuid":"x"}` + "\n" + `{"event":"playbook_on_stats"}` + "\n",
			want: []line{{lineErr: true}, {event: "playbook_on_stats"}},
		},
		{
			name: "A malformed timestamp is a line error",
			in:   `{"event":"playbook_on_start","created":"soon"}` + "\n",
			want: []line{{lineErr: true}},
		},
		{
			name: "Empty input has no events",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := NewDecoder(strings.NewReader(tc.in))
			var got []line
			for {
				ev, raw, err := dec.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var le *LineError
				switch {
				case errors.As(err, &le):
					got = append(got, line{lineErr: true})
					continue
				case err != nil:
					t.Fatal(err)
				}
				if !json.Valid(raw) {
					t.Errorf("raw line %q is not the event's JSON", raw)
				}
				got = append(got, line{event: ev.Event})
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(line{})); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// ev builds an event from its name and event_data as JSON.
func ev(t *testing.T, name, data string) Event {
	t.Helper()
	var e Event
	if err := json.Unmarshal([]byte(`{"event":"`+name+`","created":"2024-05-01T10:00:00","event_data":`+data+`}`), &e); err != nil {
		t.Fatalf("event %s %s: %v", name, data, err)
	}
	return e
}

func TestCollector(t *testing.T) {
	const (
		failed    = `{"task":"T","task_path":"/p.yml:3","task_action":"fail","resolved_action":"ansible.builtin.fail","host":"localhost","res":{"msg":"boom"}}`
		stats     = `{"ok":{"localhost":2},"changed":{"localhost":1},"skipped":{"localhost":3},"failures":{"localhost":1},"dark":{},"rescued":{"localhost":4},"ignored":{"localhost":5}}`
		noFailure = `{"ok":{"localhost":2},"failures":{},"rescued":{"localhost":1}}`
	)
	boom := Failure{Task: "T", TaskPath: "/p.yml:3", Action: "ansible.builtin.fail", Host: "localhost", Message: "boom"}
	completion := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		events []Event
		want   Summary
	}{
		{
			name:   "No events give a summary without stats",
			events: nil,
			want:   Summary{},
		},
		{
			name:   "Stats are those of localhost",
			events: []Event{ev(t, PlaybookOnStats, stats)},
			want: Summary{
				Stats:      &Stats{Ok: 2, Changed: 1, Skipped: 3, Failures: 1, Rescued: 4, Ignored: 5},
				Completion: completion,
			},
		},
		{
			name:   "Stats of other hosts only give zero counters",
			events: []Event{ev(t, PlaybookOnStats, `{"ok":{"db":7}}`)},
			want:   Summary{Stats: &Stats{}, Completion: completion},
		},
		{
			name:   "A failed task is a failure",
			events: []Event{ev(t, RunnerOnFailed, failed), ev(t, PlaybookOnStats, stats)},
			want: Summary{
				Stats:      &Stats{Ok: 2, Changed: 1, Skipped: 3, Failures: 1, Rescued: 4, Ignored: 5},
				Failures:   []Failure{boom},
				Completion: completion,
			},
		},
		{
			name:   "A failed task counts before stats arrive",
			events: []Event{ev(t, RunnerOnFailed, failed)},
			want:   Summary{Failures: []Failure{boom}},
		},
		{
			name:   "An ignored failure is not a failure",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","ignore_errors":true,"res":{"msg":"x"}}`)},
			want:   Summary{},
		},
		{
			name:   "A failure flagged rescued is not a failure",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","rescued":{"localhost":1},"res":{"msg":"x"}}`)},
			want:   Summary{},
		},
		{
			name:   "A rescued flag for another host does not rescue this one",
			events: []Event{ev(t, RunnerOnFailed, `{"task":"T","task_path":"/p.yml:3","resolved_action":"ansible.builtin.fail","host":"localhost","rescued":{"db":1},"res":{"msg":"boom"}}`)},
			want:   Summary{Failures: []Failure{boom}},
		},
		{
			name:   "Stats without failures for the host settle unflagged failures as rescued",
			events: []Event{ev(t, RunnerOnFailed, failed), ev(t, PlaybookOnStats, noFailure)},
			want:   Summary{Stats: &Stats{Ok: 2, Rescued: 1}, Completion: completion},
		},
		{
			name: "An unreachable host is a failure",
			events: []Event{ev(t, RunnerOnUnreachable,
				`{"task":"Ping","task_path":"/p.yml:5","task_action":"ping","host":"localhost","res":{"msg":"Connection refused","unreachable":true}}`)},
			want: Summary{Failures: []Failure{{Task: "Ping", TaskPath: "/p.yml:5", Action: "ping", Host: "localhost", Message: "Connection refused", Unreachable: true}}},
		},
		{
			name:   "An ignored unreachable host is not a failure",
			events: []Event{ev(t, RunnerOnUnreachable, `{"host":"localhost","ignore_unreachable":true,"res":{"msg":"x"}}`)},
			want:   Summary{},
		},
		{
			name: "Stats without dark hosts settle an unreachable event as ignored",
			events: []Event{
				ev(t, RunnerOnUnreachable, `{"host":"localhost","res":{"msg":"x"}}`),
				ev(t, PlaybookOnStats, `{"ok":{"localhost":1},"ignored":{"localhost":1}}`),
			},
			want: Summary{Stats: &Stats{Ok: 1, Ignored: 1}, Completion: completion},
		},
		{
			name:   "Without msg the message is the stderr",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","res":{"stderr":"  disk full\n","stdout":"ignored"}}`)},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: "disk full"}}},
		},
		{
			name:   "Without msg and stderr the message is the stdout",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","res":{"stderr":"","stdout":"exit 3"}}`)},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: "exit 3"}}},
		},
		{
			name:   "A censored result gives the censored notice",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","res":{"censored":"hidden by no_log"}}`)},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: "hidden by no_log"}}},
		},
		{
			name:   "An empty result gives the unknown failure message",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost"}`)},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: UnknownFailure}}},
		},
		{
			name:   "A msg that is not a string is printed",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","res":{"msg":["a","b"]}}`)},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: "[a b]"}}},
		},
		{
			name:   "A long stderr is cut to its tail",
			events: []Event{ev(t, RunnerOnFailed, `{"host":"localhost","res":{"stderr":"`+strings.Repeat("x", 600)+`END"}}`)},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: "..." + strings.Repeat("x", snippetBytes-3) + "END"}}},
		},
		{
			name:   "The failure's stdout is kept",
			events: []Event{{Event: RunnerOnFailed, Stdout: "fatal: [localhost]: FAILED!", EventData: EventData{Host: "localhost", Res: map[string]any{"msg": "m"}}}},
			want:   Summary{Failures: []Failure{{Host: "localhost", Message: "m", Stdout: "fatal: [localhost]: FAILED!"}}},
		},
		{
			name:   "A failed item alone is not a failure",
			events: []Event{ev(t, RunnerItemOnFailed, failed)},
			want:   Summary{},
		},
		{
			name: "operator_status and operator_requeue_after come from set_stats",
			events: []Event{ev(t, PlaybookOnStats,
				`{"artifact_data":{"operator_status":{"phase":"Ready","conditions":[{"type":"DbReady","status":"True"}]},"operator_requeue_after":"1m30s"}}`)},
			want: Summary{
				Stats:        &Stats{},
				CustomStatus: map[string]any{"phase": "Ready", "conditions": []any{map[string]any{"type": "DbReady", "status": "True"}}},
				RequeueAfter: 90 * time.Second,
				Completion:   completion,
			},
		},
		{
			name:   "An operator_status that is not a map is ignored with a warning",
			events: []Event{ev(t, PlaybookOnStats, `{"artifact_data":{"operator_status":["Ready"]}}`)},
			want:   Summary{Stats: &Stats{}, Completion: completion, Warnings: []string{"set_stats operator_status is a list, not a map; ignored"}},
		},
		{
			name:   "An operator_requeue_after that is not a duration is ignored with a warning",
			events: []Event{ev(t, PlaybookOnStats, `{"artifact_data":{"operator_requeue_after":"soon"}}`)},
			want: Summary{Stats: &Stats{}, Completion: completion,
				Warnings: []string{`set_stats operator_requeue_after "soon" is not a duration (e.g. 90s, 5m); ignored`}},
		},
		{
			name:   "A number of seconds is not a duration string",
			events: []Event{ev(t, PlaybookOnStats, `{"artifact_data":{"operator_requeue_after":30}}`)},
			want: Summary{Stats: &Stats{}, Completion: completion,
				Warnings: []string{"set_stats operator_requeue_after is a number, not a duration string; ignored"}},
		},
		{
			name:   "A negative operator_requeue_after is ignored with a warning",
			events: []Event{ev(t, PlaybookOnStats, `{"artifact_data":{"operator_requeue_after":"-5s"}}`)},
			want: Summary{Stats: &Stats{}, Completion: completion,
				Warnings: []string{`set_stats operator_requeue_after "-5s" is negative; ignored`}},
		},
		{
			name:   "Upstream's requeue_after module sets the period",
			events: []Event{ev(t, RunnerOnOk, `{"task_action":"operator_sdk.util.requeue_after","res":{"period":"45s"}}`)},
			want:   Summary{RequeueAfter: 45 * time.Second},
		},
		{
			name: "set_stats overrides the requeue_after module, as it comes last",
			events: []Event{
				ev(t, RunnerOnOk, `{"task_action":"requeue_after","res":{"period":"45s"}}`),
				ev(t, PlaybookOnStats, `{"artifact_data":{"operator_requeue_after":"2m"}}`),
			},
			want: Summary{Stats: &Stats{}, RequeueAfter: 2 * time.Minute, Completion: completion},
		},
		{
			name:   "Other modules' period is not a requeue",
			events: []Event{ev(t, RunnerOnOk, `{"task_action":"debug","res":{"period":"45s"}}`)},
			want:   Summary{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Collector
			for _, e := range tc.events {
				c.Add(e)
			}
			if diff := cmp.Diff(tc.want, c.Summary()); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

// readFixture folds a recorded run from testdata. File paths in the
// recording are those of the machine that recorded it; failures keep only
// the base name.
func readFixture(t *testing.T, name string) (Summary, []Event) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		c   Collector
		all []Event
		dec = NewDecoder(f)
	)
	for {
		e, _, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Add(e)
		all = append(all, e)
	}
	s := c.Summary()
	for i := range s.Failures {
		s.Failures[i].TaskPath = filepath.Base(s.Failures[i].TaskPath)
	}
	return s, all
}

func TestRecordedRuns(t *testing.T) {
	const censored = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
	ignoreStdout := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Stdout" }, cmp.Ignore())
	ignoreCompletion := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Completion" }, cmp.Ignore())
	for _, tc := range []struct {
		name string
		file string
		want Summary
	}{
		{
			name: "A successful run reports stats and custom status",
			file: "success.jsonl",
			want: Summary{
				Stats: &Stats{Ok: 3, Changed: 1, Skipped: 1},
				CustomStatus: map[string]any{"phase": "Ready", "replicas": float64(2),
					"conditions": []any{map[string]any{"type": "DatabaseReady", "status": "True", "reason": "Migrated"}}},
				RequeueAfter: 90 * time.Second,
			},
		},
		{
			name: "A failing task is reported with its path and message",
			file: "failing.jsonl",
			want: Summary{
				Stats: &Stats{Ok: 1, Failures: 1},
				Failures: []Failure{{Task: "Fail with a message", TaskPath: "failing.yml:8", Action: "ansible.builtin.fail",
					Host: "localhost", Message: "database is not reachable"}},
			},
		},
		{
			name: "An ignored error is not a failure",
			file: "ignored.jsonl",
			want: Summary{Stats: &Stats{Ok: 2, Ignored: 1}},
		},
		{
			name: "Only the failure Ansible did not rescue is reported",
			file: "rescued.jsonl",
			want: Summary{
				Stats: &Stats{Ok: 7, Failures: 1, Rescued: 7},
				Failures: []Failure{{Task: "Fail in a rescue", TaskPath: "rescued.yml:70", Action: "ansible.builtin.fail",
					Host: "localhost", Message: "not rescued"}},
			},
		},
		{
			name: "A no_log failure is reported with the censored notice",
			file: "nolog.jsonl",
			want: Summary{
				Stats: &Stats{Ok: 6, Failures: 1, Rescued: 1, Ignored: 1},
				Failures: []Failure{{Task: "Fail with the secret", TaskPath: "nolog.yml:38", Action: "ansible.builtin.fail",
					Host: "localhost", Message: censored}},
			},
		},
		{
			name: "An unreachable host is a failure",
			file: "unreachable.jsonl",
			want: Summary{
				Stats: &Stats{Unreachable: 1},
				Failures: []Failure{{Task: "Reach a closed port", TaskPath: "unreachable.yml:5", Action: "ansible.builtin.ping",
					Host: "localhost", Unreachable: true,
					Message: "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused"}},
			},
		},
		{
			name: "Invalid custom status is ignored with warnings",
			file: "invalid_status.jsonl",
			want: Summary{
				Stats: &Stats{Ok: 1},
				Warnings: []string{
					"set_stats operator_status is a list, not a map; ignored",
					`set_stats operator_requeue_after "soon" is not a duration (e.g. 90s, 5m); ignored`,
				},
			},
		},
		{
			name: "The plugin's events of a rescued run fold like ansible-runner's",
			file: "runner_compat.jsonl",
			want: Summary{Stats: &Stats{Ok: 3, Rescued: 1, Ignored: 1}, CustomStatus: map[string]any{"phase": "Ready"}},
		},
		{
			name: "ansible-runner's events of a rescued run fold like the plugin's",
			file: "runner_compat.runner.jsonl",
			want: Summary{Stats: &Stats{Ok: 3, Rescued: 1, Ignored: 1}, CustomStatus: map[string]any{"phase": "Ready"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, all := readFixture(t, tc.file)
			if diff := cmp.Diff(tc.want, got, ignoreStdout, ignoreCompletion); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			last := all[len(all)-1]
			if last.Event != PlaybookOnStats || !got.Completion.Equal(last.Created.Time) || got.Completion.IsZero() {
				t.Errorf("completion = %v, want the time of the final playbook_on_stats (%v)", got.Completion, last.Created.Time)
			}
			for _, f := range got.Failures {
				if !strings.Contains(f.Stdout, "localhost") {
					t.Errorf("failure %q has stdout %q, want Ansible's text for it", f.Task, f.Stdout)
				}
			}
		})
	}
}

// Every event the plugin writes names its event, counts up from 1 and has
// a time; result events name their task and host.
func TestRecordedEventsAreWellFormed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded runs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, all := readFixture(t, filepath.Base(file))
			for i, e := range all {
				if e.Counter != i+1 || e.UUID == "" || e.Created.IsZero() || e.Pid == 0 {
					t.Errorf("event %d (%s): counter %d, uuid %q, created %v, pid %d", i+1, e.Event, e.Counter, e.UUID, e.Created.Time, e.Pid)
				}
				switch e.Event {
				case RunnerOnOk, RunnerOnFailed, RunnerOnSkipped, RunnerOnUnreachable, RunnerItemOnOk, RunnerItemOnFailed:
					d := e.EventData
					if d.Task == "" || d.Host == "" || !strings.Contains(d.TaskPath, ".yml:") || d.ResolvedAction == "" || d.End.IsZero() {
						t.Errorf("event %d (%s) lacks task context: %+v", i+1, e.Event, d)
					}
				}
			}
		})
	}
}
