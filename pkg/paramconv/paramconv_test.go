package paramconv

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToSnake(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Upstream ansible-operator's own table (internal/ansible/paramconv), which
		// fixes the behaviour roles depend on, quirks included.
		{"a lowercase word is kept", "var", "var"},
		{"a key of digits only is kept", "888", "888"},
		{"digits inside a snake_case key are kept", "k8s_var", "k8s_var"},
		{"a leading underscore is kept", "_k8s_var", "_k8s_var"},
		{"a space becomes an underscore", "k8s var", "k8s_var"},
		{"a leading capital gives a leading underscore", "ThisShouldHaveUnderscores", "_this_should_have_underscores"},
		{"digits do not start a word", "sizeK8sBuckets", "size_k8s_buckets"},
		{"mixed separators and humps are handled", "_CanYou_Handle_mixedVars", "_can_you_handle_mixed_vars"},
		{"a snake_case key is a no-op", "this_should_be_a_noop", "this_should_be_a_noop"},
		{"a plural special word at the end is one word", "egressIPs", "egress_ips"},
		{"a plural special word in the middle is one word", "egressIPsEgress", "egress_ips_egress"},
		{"a plural special word before lowercase is one word", "egressIPsegress", "egress_ips_egress"},
		{"a plural special word at the start gives a leading underscore", "IPsegress", "_ips_egress"},
		{"a special word at the end is one word", "egressIP", "egress_ip"},
		{"a special word in the middle is one word", "egressIPEgress", "egress_ip_egress"},
		{"a special word before lowercase is one word", "egressIPegress", "egress_ip_egress"},
		{"a singular special word at the start gives no leading underscore", "URLegressIPEgressHTTP", "url_egress_ip_egress_http"},
		{"plural special words all stay whole", "URLsegressIPsEgressHTTPs", "_urls_egress_ips_egress_https"},
		{"special words are not split out of an all-capitals key", "THIS_IS_SKIP_NOT_SK_IP", "_this_is_skip_not_sk_ip"},
		{"keys upstream's map test keeps: var_var", "var_var", "var_var"},
		{"keys upstream's map test keeps: size_k8s_test", "size_k8s_test", "size_k8s_test"},

		// The same rules applied to keys upstream's table does not list.
		{"an empty key stays empty", "", ""},
		{"a key of spaces only becomes empty", "   ", ""},
		{"spaces around a key are trimmed", " fooBar ", "foo_bar"},
		{"a single hump splits once", "dynflowWorkers", "dynflow_workers"},
		{"each hump starts a word", "foremanProxyContentEnabled", "foreman_proxy_content_enabled"},
		{"an acronym before a word stays whole", "JSONData", "_json_data"},
		{"an acronym inside a key stays whole", "caCertPEMData", "ca_cert_pem_data"},
		{"an acronym at the end stays whole", "serverTLS", "server_tls"},
		{"a single capital at the start gives a leading underscore", "Foo", "_foo"},
		{"a single letter key is lowercased with an underscore", "X", "_x"},
		{"a dash becomes an underscore", "foo-bar", "foo_bar"},
		{"separators are not collapsed", "foo__bar--baz", "foo__bar__baz"},
		{"a trailing separator is kept", "foo_", "foo_"},
		{"a capital after a separator does not double the underscore", "foo_Bar", "foo_bar"},
		{"a capital after a digit starts a word when lowercase follows", "v1Alpha1", "v1_alpha1"},
		{"a capital after a digit stays in the word when no lowercase follows", "k8S", "k8s"},
		{"an HTTP acronym followed by a word splits before the word", "podHTTPPort", "pod_http_port"},
		{"a plural IPs at the end of a cluster key is one word", "clusterIPs", "cluster_ips"},
		{"an IP before another acronym stays whole", "externalIPPool", "external_ip_pool"},
		{"a URL in the middle is one word", "serverURLPath", "server_url_path"},
		{"a URL at the start of a key with a capital after it has no underscore", "URLPath", "url_path"},
		{"a special word inside a longer acronym is split out", "XMLHTTPRequest", "_xml_http_request"},
		{"a special word inside a capitals run of a camelCase key is split out", "mySKIPValue", "my_sk_ip_value"},
		{"a lowercase s after a special word is always its plural", "IPsec", "_ips_ec"},
		{"a capital S after HTTP is not a plural", "enableHTTPS", "enable_http_s"},
		{"a lowercase special word is an ordinary word", "httpPort", "http_port"},
		{"a capitalised special word is an ordinary word", "UrlPath", "_url_path"},
		{"an all-capitals special word alone is not special", "IP", "_ip"},
		{"a plural special word alone gives a leading underscore", "URLs", "_urls"},
		{"an all-capitals word keeps a special word whole before a camelCase one", "IP_address", "_ip_address"},
		{"a camelCase word after a dash is converted", "tls-caCert", "tls_ca_cert"},
		{"non-ASCII letters are lowercased but do not split", "grüßeÜber", "grüßeüber"},
		{"a key starting with Ansible gets a leading underscore", "AnsibleHost", "_ansible_host"},
		{"a key that converts to an ansible_ variable does so", "ansiblePythonInterpreter", "ansible_python_interpreter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToSnake(tt.in); got != tt.want {
				t.Errorf("ToSnake(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{
			name: "a nil map stays nil",
			in:   nil,
			want: nil,
		},
		{
			name: "an empty map stays empty",
			in:   map[string]any{},
			want: map[string]any{},
		},
		{
			name: "upstream's map table is kept as it is",
			in:   map[string]any{"var": "value", "var_var": "value", "size_k8s_test": "value", "888": "value"},
			want: map[string]any{"var": "value", "var_var": "value", "size_k8s_test": "value", "888": "value"},
		},
		{
			name: "top-level keys are converted and values kept",
			in:   map[string]any{"dynflowWorkers": int64(2), "adminPassword": "fooBar", "enabled": true, "ratio": 0.5, "nothing": nil},
			want: map[string]any{"dynflow_workers": int64(2), "admin_password": "fooBar", "enabled": true, "ratio": 0.5, "nothing": nil},
		},
		{
			name: "keys in nested maps are converted",
			in:   map[string]any{"smartProxy": map[string]any{"tftpServer": map[string]any{"listenIP": "0.0.0.0"}}},
			want: map[string]any{"smart_proxy": map[string]any{"tftp_server": map[string]any{"listen_ip": "0.0.0.0"}}},
		},
		{
			name: "keys in maps inside lists are converted",
			in: map[string]any{"extraVolumes": []any{
				map[string]any{"mountPath": "/a", "readOnly": true},
				map[string]any{"mountPath": "/b"},
			}},
			want: map[string]any{"extra_volumes": []any{
				map[string]any{"mount_path": "/a", "read_only": true},
				map[string]any{"mount_path": "/b"},
			}},
		},
		{
			name: "keys in maps inside lists of lists are converted",
			in:   map[string]any{"matrixRows": []any{[]any{map[string]any{"cellValue": int64(1)}}}},
			want: map[string]any{"matrix_rows": []any{[]any{map[string]any{"cell_value": int64(1)}}}},
		},
		{
			name: "string values in lists are not converted",
			in:   map[string]any{"allowedHosts": []any{"fooBar", "HTTPServer"}},
			want: map[string]any{"allowed_hosts": []any{"fooBar", "HTTPServer"}},
		},
		{
			name: "a key already in snake_case wins over one that converts to it",
			in:   map[string]any{"foo_bar": "snake", "fooBar": "camel"},
			want: map[string]any{"foo_bar": "snake"},
		},
		{
			name: "of two converted keys the one that sorts last wins",
			in:   map[string]any{"foo-bar": "dash", "fooBar": "camel", "foo bar": "space"},
			want: map[string]any{"foo_bar": "camel"},
		},
		{
			name: "an empty list stays an empty list",
			in:   map[string]any{"emptyList": []any{}},
			want: map[string]any{"empty_list": []any{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Convert(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Convert() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvertDoesNotModifyItsInput(t *testing.T) {
	in := map[string]any{
		"outerKey": map[string]any{"innerKey": "v"},
		"listKey":  []any{map[string]any{"itemKey": "v"}},
	}
	want := map[string]any{
		"outerKey": map[string]any{"innerKey": "v"},
		"listKey":  []any{map[string]any{"itemKey": "v"}},
	}
	out := Convert(in)
	out["outer_key"].(map[string]any)["inner_key"] = "changed"
	out["list_key"].([]any)[0] = "changed"
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("Convert() changed its input (-want +got):\n%s", diff)
	}
}
