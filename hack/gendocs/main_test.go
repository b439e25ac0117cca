package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
)

// make verify-gen checks this too, with a freshly generated CRD; this test
// catches a README edited by hand, or types changed without `make docs`,
// in `go test ./...` alone.
func TestTheReadmeReferenceIsCurrent(t *testing.T) {
	t.Chdir("../..")
	want, err := updatedReadme(defaultSources, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("README.md's spec references are stale: run `make docs` (-want +got):\n%s", diff)
	}
}

// The Foreman's markers stand for any kind's in the splice tests.
var beginMarker, endMarker = kinds[0].begin(), kinds[0].end()

func TestSplice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		readme  string
		want    string
		wantErr string
	}{
		{
			name:   "The text between the markers is replaced and the rest kept",
			readme: "# A\n" + beginMarker + "\nold\n" + endMarker + "\ntail\n",
			want:   "# A\n" + beginMarker + "\nnew\n" + endMarker + "\ntail\n",
		},
		{
			name:   "Markers with nothing between them get the reference",
			readme: beginMarker + "\n" + endMarker + "\n",
			want:   beginMarker + "\nnew\n" + endMarker + "\n",
		},
		{
			name:    "A README without the end marker is an error",
			readme:  beginMarker + "\nold\n",
			wantErr: "must both be there",
		},
		{
			name:    "A README with the markers twice is an error",
			readme:  beginMarker + endMarker + beginMarker + endMarker,
			wantErr: "once each",
		},
		{
			name:    "An end marker before the begin marker is an error",
			readme:  endMarker + "\n" + beginMarker + "\n",
			wantErr: "comes before",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splice([]byte(tc.readme), beginMarker, endMarker, "new\n")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("splice() error = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("splice() (-want +got):\n%s", diff)
			}
		})
	}
}

// Test types standing for the API: a spec with an inline struct, a nested
// struct of its own and a typed Kubernetes field.
type testSpec struct {
	Size         int32      `json:"size,omitempty"`
	Inner        *testInner `json:"inner,omitempty"`
	testEmbedded `json:",inline"`
	Tolls        []corev1.Toleration `json:"tolerations,omitempty"`
}

type testInner struct {
	Mode string `json:"mode"`
}

type testEmbedded struct {
	Labels map[string]string `json:"labels,omitempty"`
}

func str(s string) *apiextensionsv1.JSON {
	return &apiextensionsv1.JSON{Raw: []byte(`"` + s + `"`)}
}

func testSchema() *apiextensionsv1.JSONSchemaProps {
	return &apiextensionsv1.JSONSchemaProps{
		Type: "object",
		XValidations: apiextensionsv1.ValidationRules{
			{Rule: "self.size > 0 || !has(self.inner)", Message: "inner needs a size", FieldPath: ".inner"},
		},
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"size": {Type: "integer", Minimum: ptr.To(0.0), Maximum: ptr.To(9.0), Description: "Size of\n  it | all."},
			"inner": {
				Type:     "object",
				Required: []string{"mode"},
				Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"mode": {Type: "string", Default: str("a"), Enum: []apiextensionsv1.JSON{*str("a"), *str("b")}},
				},
			},
			"labels": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string"}}},
			"tolerations": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
				Type:       "object",
				Properties: map[string]apiextensionsv1.JSONSchemaProps{"key": {Type: "string"}},
			}}},
		},
	}
}

func TestSpecRowsFollowTheGoTypesAndAttachRulesToTheirField(t *testing.T) {
	rows, err := specRows(testSchema(), reflect.TypeFor[testSpec]())
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{Path: "spec", Type: "object"},
		{Path: "spec.size", Type: "integer", Validation: "0 to 9", Description: `Size of it \| all.`},
		{Path: "spec.inner", Type: "object", Validation: "inner needs a size"},
		{Path: "spec.inner.mode", Type: "string", Default: "`a`", Validation: "required<br>one of `a`, `b`"},
		{Path: "spec.labels", Type: "map of string to string"},
		{Path: "spec.tolerations", Type: "list of [Toleration](https://pkg.go.dev/k8s.io/api/core/v1#Toleration)"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("specRows() (-want +got):\n%s", diff)
	}
}

func TestSpecRowsRefuseACRDThatDisagreesWithTheTypes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*apiextensionsv1.JSONSchemaProps)
		wantErr string
	}{
		{
			name:    "A Go field missing from the CRD is reported with the command that fixes it",
			edit:    func(s *apiextensionsv1.JSONSchemaProps) { delete(s.Properties, "size") },
			wantErr: "spec.size (Go testSpec.Size) is not in the CRD: run `make manifests`",
		},
		{
			name: "A CRD property the Go types lack is reported",
			edit: func(s *apiextensionsv1.JSONSchemaProps) {
				s.Properties["removed_field"] = apiextensionsv1.JSONSchemaProps{Type: "string"}
			},
			wantErr: "spec.removed_field is in the CRD but not in Go testSpec",
		},
		{
			name: "A rule whose fieldPath names no field is reported",
			edit: func(s *apiextensionsv1.JSONSchemaProps) {
				s.XValidations[0].FieldPath = ".innr"
			},
			wantErr: "validation rules name fields the spec does not have: spec.innr",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSchema()
			tc.edit(s)
			_, err := specRows(s, reflect.TypeFor[testSpec]())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("specRows() error = %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestCells(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{name: "A pipe in text is escaped so that the cell goes on", got: escape("a | b"), want: `a \| b`},
		{name: "A placeholder in angle brackets is not taken for HTML", got: escape("<name>-admin"), want: "&lt;name&gt;-admin"},
		{name: "An asterisk does not start emphasis", got: escape("RELATED_IMAGE_*"), want: `RELATED_IMAGE_\*`},
		{name: "A pipe in code is escaped too", got: codeSpan("^(a|b)$"), want: "`^(a\\|b)$`"},
		{name: "Code with a backtick gets a longer fence", got: codeSpan("a`b"), want: "`` a`b ``"},
		{name: "A string default is shown without quotes", got: defaultCell(str("3.16")), want: "`3.16`"},
		{name: "An object default is shown as JSON", got: defaultCell(&apiextensionsv1.JSON{Raw: []byte("{}")}), want: "`{}`"},
		{name: "No default is an empty cell", got: defaultCell(nil), want: ""},
		{name: "A description's lines become one", got: oneLine("a\n  b\n\nc "), want: "a b c"},
		{
			name: "An exclusive minimum alone is a strict bound",
			got:  validationCell(&apiextensionsv1.JSONSchemaProps{Minimum: ptr.To(1.0), ExclusiveMinimum: true}, false, false),
			want: "&gt; 1",
		},
		{
			name: "A maximum alone is an upper bound",
			got:  validationCell(&apiextensionsv1.JSONSchemaProps{Maximum: ptr.To(5.0)}, false, false),
			want: "≤ 5",
		},
		{
			name: "A quantity's pattern is its type, not a rule",
			got:  validationCell(&apiextensionsv1.JSONSchemaProps{Pattern: "^[0-9]+$"}, false, true),
			want: "",
		},
		{
			name: "The values a list's items may take are listed, and one item is singular",
			got: validationCell(&apiextensionsv1.JSONSchemaProps{MinItems: ptr.To[int64](1), MaxItems: ptr.To[int64](4),
				Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Enum: []apiextensionsv1.JSON{*str("a"), *str("b")}}},
			}, false, false),
			want: "each one of `a`, `b`<br>at least 1 item<br>at most 4 items",
		},
		{
			name: "Lengths, patterns and entry counts are all listed",
			got: validationCell(&apiextensionsv1.JSONSchemaProps{
				MinLength: ptr.To[int64](2), MaxLength: ptr.To[int64](8), Pattern: "^x", MaxProperties: ptr.To[int64](3),
			}, true, false),
			want: "required<br>at least 2 characters<br>at most 8 characters<br>matches `^x`<br>at most 3 entries",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}
