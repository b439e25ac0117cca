package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{name: "Blanks separate words", in: " --tags  a,b\t-e x=1\n", want: []string{"--tags", "a,b", "-e", "x=1"}},
		{name: "Single quotes keep blanks and backslashes", in: `-e 'a b\c'`, want: []string{"-e", `a b\c`}},
		{name: "Double quotes keep blanks", in: `-e "a b"`, want: []string{"-e", "a b"}},
		{name: "In double quotes a backslash escapes a quote or a backslash", in: `"a\"b\\c\d"`, want: []string{`a"b\c\d`}},
		{name: "Outside quotes a backslash keeps the next character", in: `a\ b \'c`, want: []string{"a b", "'c"}},
		{name: "Quoted parts join the word around them", in: `x='1 2'"3"4`, want: []string{"x=1 234"}},
		{name: "An empty quoted word is a word", in: `-e ''`, want: []string{"-e", ""}},
		{name: "An empty line has no words", in: "  ", want: nil},
		{name: "An unterminated single quote is an error", in: `'abc`, wantErr: true},
		{name: "An unterminated double quote is an error", in: `"abc`, wantErr: true},
		{name: "A trailing backslash is an error", in: `abc\`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitArgs(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("splitArgs(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("splitArgs(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestTrimQuotes(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "One pair around everything goes, as upstream", in: `'--tags a'`, want: "--tags a"},
		{name: "Surrounding blanks go", in: "  --tags a \n", want: "--tags a"},
		{name: "Two quoted words stay quoted", in: `'a' 'b'`, want: `'a' 'b'`},
		{name: "Double quotes stay", in: `"--tags a"`, want: `"--tags a"`},
		{name: "A lone quote stays", in: `'`, want: `'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := trimQuotes(tc.in); got != tc.want {
				t.Errorf("trimQuotes(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	r := &Runner{pluginDir: "/plugins"}
	for _, tc := range []struct {
		name string
		in   Input
		want map[string]string
	}{
		{
			name: "The runner's settings and plugin are added",
			in:   Input{Playbook: "/p.yml"},
			want: map[string]string{
				"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0", "PYTHONUNBUFFERED": "1",
				"ANSIBLE_CALLBACK_PLUGINS": "/plugins", "ANSIBLE_CALLBACKS_ENABLED": "foreman_events", "FOREMAN_EVENTS_FD": "3",
			},
		},
		{
			name: "The user's callback plugins and callbacks come after ours, and our settings win",
			in: Input{Playbook: "/p.yml", Env: []string{
				"ANSIBLE_CALLBACK_PLUGINS=/mine", "ANSIBLE_CALLBACKS_ENABLED=profile_tasks", "ANSIBLE_NOCOLOR=0",
			}},
			want: map[string]string{
				"ANSIBLE_CALLBACK_PLUGINS": "/plugins:/mine", "ANSIBLE_CALLBACKS_ENABLED": "foreman_events,profile_tasks",
				"ANSIBLE_NOCOLOR": "1",
			},
		},
		{
			name: "A role's parent joins the roles path",
			in:   Input{Role: "/opt/ansible/roles/foreman", Env: []string{"ANSIBLE_ROLES_PATH=/usr/share/roles"}},
			want: map[string]string{"ANSIBLE_ROLES_PATH": "/opt/ansible/roles:/usr/share/roles"},
		},
		{
			name: "Input.Env reaches the run",
			in:   Input{Playbook: "/p.yml", Env: []string{"K8S_AUTH_KUBECONFIG=/tmp/kc"}},
			want: map[string]string{"K8S_AUTH_KUBECONFIG": "/tmp/kc"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := r.environ(tc.in)
			got := map[string]string{}
			for key := range tc.want {
				got[key], _ = lookupEnv(env, key)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
		})
	}
}
