package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
)

var (
	nsOwner = Owner{APIVersion: "foreman.theforeman.org/v1alpha1", Kind: "Foreman", Name: "web",
		Namespace: "foreman", UID: "1111"}
	clusterOwner = Owner{APIVersion: "foreman.theforeman.org/v1alpha1", Kind: "Site", Name: "eu",
		UID: "2222"}
)

const (
	ourRef = `{"apiVersion":"foreman.theforeman.org/v1alpha1","kind":"Foreman","name":"web","uid":"1111",` +
		`"controller":true,"blockOwnerDeletion":true}`
	otherController = `{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"9999","controller":true}`
	ourAnnotations  = `"operator-sdk/primary-resource":"foreman/web",` +
		`"operator-sdk/primary-resource-type":"Foreman.foreman.theforeman.org"`
)

// decoded makes JSON comparable whatever its key order.
func decoded(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestNewMarker(t *testing.T) {
	ref := metav1.OwnerReference{APIVersion: nsOwner.APIVersion, Kind: "Foreman", Name: "web", UID: "1111",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
	clusterRef := metav1.OwnerReference{APIVersion: clusterOwner.APIVersion, Kind: "Site", Name: "eu", UID: "2222",
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
	tests := []struct {
		name       string
		owner      Owner
		namespaced bool
		namespace  string
		want       marker
	}{
		{"A namespaced owner owns an object in its namespace by reference",
			nsOwner, true, "foreman", marker{by: OwnedByOwnerRef, ref: ref}},
		{"A namespaced owner marks an object in another namespace with annotations",
			nsOwner, true, "monitoring", marker{by: OwnedByAnnotation}},
		{"A namespaced owner marks a cluster-scoped object with annotations",
			nsOwner, false, "", marker{by: OwnedByAnnotation}},
		{"A cluster-scoped owner owns a namespaced object by reference",
			clusterOwner, true, "foreman", marker{by: OwnedByOwnerRef, ref: clusterRef}},
		{"A cluster-scoped owner owns a cluster-scoped object by reference",
			clusterOwner, false, "", marker{by: OwnedByOwnerRef, ref: clusterRef}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newMarker(tt.owner, tt.namespaced, tt.namespace)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(marker{})); diff != "" {
				t.Errorf("newMarker (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkerApply(t *testing.T) {
	refMarker := newMarker(nsOwner, true, "foreman")
	annMarker := newMarker(nsOwner, false, "")
	tests := []struct {
		name   string
		marker marker
		in     string
		want   string // "" when the input must come back unchanged
		edit   edit
	}{
		{"An object without metadata gets the owner reference", refMarker,
			`{"kind":"ConfigMap"}`,
			`{"kind":"ConfigMap","metadata":{"ownerReferences":[` + ourRef + `]}}`,
			edit{changed: true}},
		{"An object with null metadata gets the owner reference", refMarker,
			`{"metadata":null}`,
			`{"metadata":{"ownerReferences":[` + ourRef + `]}}`,
			edit{changed: true}},
		{"Existing owner references are kept and ours is appended", refMarker,
			`{"metadata":{"name":"a","ownerReferences":[{"apiVersion":"v1","kind":"Secret","name":"s","uid":"3"}]}}`,
			`{"metadata":{"name":"a","ownerReferences":[{"apiVersion":"v1","kind":"Secret","name":"s","uid":"3"},` + ourRef + `]}}`,
			edit{changed: true}},
		{"An object that already names the owner's UID is left alone", refMarker,
			`{"metadata":{"ownerReferences":[{"apiVersion":"x/v1","kind":"Foreman","name":"web","uid":"1111"}]}}`,
			"", edit{}},
		{"An object with another controller gets our reference without controller", refMarker,
			`{"metadata":{"ownerReferences":[` + otherController + `]}}`,
			`{"metadata":{"ownerReferences":[` + otherController + `,` +
				`{"apiVersion":"foreman.theforeman.org/v1alpha1","kind":"Foreman","name":"web","uid":"1111","blockOwnerDeletion":true}]}}`,
			edit{changed: true, otherController: "ReplicaSet/rs"}},
		{"Fields the proxy does not read are kept exactly, big numbers included", refMarker,
			`{"spec":{"replicas":12345678901234567890,"ratio":1.50},"metadata":{}}`,
			`{"spec":{"replicas":12345678901234567890,"ratio":1.50},"metadata":{"ownerReferences":[` + ourRef + `]}}`,
			edit{changed: true}},
		{"An object in another namespace gets the annotations next to its own", annMarker,
			`{"metadata":{"annotations":{"a":"b"}}}`,
			`{"metadata":{"annotations":{"a":"b",` + ourAnnotations + `}}}`,
			edit{changed: true}},
		{"An object that already names the owner in annotations is left alone", annMarker,
			`{"metadata":{"annotations":{` + ourAnnotations + `}}}`,
			"", edit{}},
		{"An object naming the owner with a wrong type annotation gets it corrected", annMarker,
			`{"metadata":{"annotations":{"operator-sdk/primary-resource":"foreman/web","operator-sdk/primary-resource-type":"Foreman."}}}`,
			`{"metadata":{"annotations":{` + ourAnnotations + `}}}`,
			edit{changed: true}},
		{"An object naming another primary resource is left alone", annMarker,
			`{"metadata":{"annotations":{"operator-sdk/primary-resource":"other/x"}}}`,
			"", edit{otherPrimary: "other/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, e, err := tt.marker.apply([]byte(tt.in), nsOwner)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if diff := cmp.Diff(tt.edit, e, cmp.AllowUnexported(edit{})); diff != "" {
				t.Errorf("edit (-want +got):\n%s", diff)
			}
			if tt.want == "" {
				if string(got) != tt.in {
					t.Errorf("apply changed the object:\n got %s\nwant %s", got, tt.in)
				}
				return
			}
			if diff := cmp.Diff(decoded(t, []byte(tt.want)), decoded(t, got)); diff != "" {
				t.Errorf("apply (-want +got):\n%s", diff)
			}
			if strings.Contains(tt.in, "12345678901234567890") && !strings.Contains(string(got), `"replicas":12345678901234567890`) {
				t.Errorf("apply rewrote a number: %s", got)
			}
		})
	}
}

func TestMarkerApplyRejectsMalformedObjects(t *testing.T) {
	tests := []struct {
		name   string
		marker marker
		in     string
		notObj bool
	}{
		{"A JSON list is not an object", newMarker(nsOwner, true, "foreman"), `[]`, true},
		{"JSON null is not an object", newMarker(nsOwner, true, "foreman"), `null`, true},
		{"A JSON string is not an object", newMarker(nsOwner, true, "foreman"), `"cm"`, true},
		{"Owner references that are not a list are refused", newMarker(nsOwner, true, "foreman"),
			`{"metadata":{"ownerReferences":{"uid":"1"}}}`, false},
		{"Annotations that are not strings are refused", newMarker(nsOwner, false, ""),
			`{"metadata":{"annotations":{"a":1}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.marker.apply([]byte(tt.in), nsOwner)
			if err == nil {
				t.Fatal("apply accepted a malformed object")
			}
			if got := errors.Is(err, errNotObject); got != tt.notObj {
				t.Errorf("errors.Is(%v, errNotObject) = %v, want %v", err, got, tt.notObj)
			}
		})
	}
}

func TestMarkerPatch(t *testing.T) {
	tests := []struct {
		name   string
		marker marker
		in     string
		want   string // "" for no patch
	}{
		{"A reference patch carries every reference and the resourceVersion", newMarker(nsOwner, true, "foreman"),
			`{"metadata":{"name":"lr","resourceVersion":"42","ownerReferences":[` + otherController + `]},"spec":{}}`,
			`{"metadata":{"resourceVersion":"42","ownerReferences":[` + otherController + `,` +
				`{"apiVersion":"foreman.theforeman.org/v1alpha1","kind":"Foreman","name":"web","uid":"1111","blockOwnerDeletion":true}]}}`},
		{"An annotation patch carries the annotations and the resourceVersion", newMarker(nsOwner, false, ""),
			`{"metadata":{"name":"cr","resourceVersion":"7","annotations":{"a":"b"}}}`,
			`{"metadata":{"resourceVersion":"7","annotations":{"a":"b",` + ourAnnotations + `}}}`},
		{"An object that records the owner needs no patch", newMarker(nsOwner, true, "foreman"),
			`{"metadata":{"resourceVersion":"1","ownerReferences":[` + ourRef + `]}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := tt.marker.patch([]byte(tt.in), nsOwner)
			if err != nil {
				t.Fatalf("patch: %v", err)
			}
			if tt.want == "" {
				if got != nil {
					t.Errorf("patch = %s, want none", got)
				}
				return
			}
			if diff := cmp.Diff(decoded(t, []byte(tt.want)), decoded(t, got)); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkerOf(t *testing.T) {
	tests := []struct {
		name  string
		owner Owner
		in    string
		want  marker
		found bool
	}{
		{"A reference to the owner's UID is returned as the object has it", nsOwner,
			`{"metadata":{"ownerReferences":[` + otherController + `,{"apiVersion":"v9","kind":"Foreman","name":"web","uid":"1111"}]}}`,
			marker{by: OwnedByOwnerRef, ref: metav1.OwnerReference{APIVersion: "v9", Kind: "Foreman", Name: "web", UID: "1111"}}, true},
		{"The owner's annotations are found", nsOwner,
			`{"metadata":{"annotations":{` + ourAnnotations + `}}}`, marker{by: OwnedByAnnotation}, true},
		{"Annotations naming another owner are not ours", nsOwner,
			`{"metadata":{"annotations":{"operator-sdk/primary-resource":"foreman/db","operator-sdk/primary-resource-type":"Foreman.foreman.theforeman.org"}}}`,
			marker{}, false},
		{"Annotations naming the owner with another type are not ours", nsOwner,
			`{"metadata":{"annotations":{"operator-sdk/primary-resource":"foreman/web","operator-sdk/primary-resource-type":"Web.foreman.theforeman.org"}}}`,
			marker{}, false},
		{"A cluster-scoped owner is never recorded in annotations", clusterOwner,
			`{"metadata":{"annotations":{"operator-sdk/primary-resource":"/eu","operator-sdk/primary-resource-type":"Site.foreman.theforeman.org"}}}`,
			marker{}, false},
		{"A Status answer records nobody", nsOwner,
			`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"}`, marker{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := markerOf([]byte(tt.in), tt.owner)
			if err != nil {
				t.Fatalf("markerOf: %v", err)
			}
			if found != tt.found {
				t.Errorf("found = %v, want %v", found, tt.found)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(marker{})); diff != "" {
				t.Errorf("markerOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrimaryType(t *testing.T) {
	tests := []struct {
		name  string
		owner Owner
		want  string
	}{
		{"A grouped kind is Kind.group", nsOwner, "Foreman.foreman.theforeman.org"},
		{"A core kind ends in a dot, as upstream writes it", Owner{APIVersion: "v1", Kind: "ConfigMap"}, "ConfigMap."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := primaryType(tt.owner); got != tt.want {
				t.Errorf("primaryType = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestToJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"JSON passes through unchanged", ` {"a": 1.50}`, ` {"a": 1.50}`, false},
		{"YAML becomes JSON", "apiVersion: v1\nkind: ConfigMap\ndata:\n  k: v\n",
			`{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap"}`, false},
		{"Malformed YAML is an error", "a: [b\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("toJSON error = %v, want error %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("toJSON = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestProtobufToJSON(t *testing.T) {
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "foreman"}, Data: map[string]string{"k": "v"}}
	var pb bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(cm, &pb); err != nil {
		t.Fatalf("encode protobuf: %v", err)
	}
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr bool
	}{
		{"A built-in object becomes JSON with its kind", pb.Bytes(),
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"foreman"},"data":{"k":"v"}}`, false},
		{"JSON is not protobuf", []byte(`{"kind":"ConfigMap"}`), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := protobufToJSON(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("protobufToJSON error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(decoded(t, []byte(tt.want)), decoded(t, got)); diff != "" {
				t.Errorf("protobufToJSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAcceptsJSON(t *testing.T) {
	tests := []struct {
		name, accept string
		want         bool
	}{
		{"No Accept header takes anything", "", true},
		{"client-go's protobuf-first list admits JSON", "application/vnd.kubernetes.protobuf,application/json", true},
		{"A wildcard admits JSON", "*/*", true},
		{"JSON with parameters is JSON", "application/json;as=Table;g=meta.k8s.io;v=v1", true},
		{"Protobuf alone does not", "application/vnd.kubernetes.protobuf", false},
		{"CBOR alone does not", "application/cbor", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptsJSON(tt.accept); got != tt.want {
				t.Errorf("acceptsJSON(%q) = %v, want %v", tt.accept, got, tt.want)
			}
		})
	}
}
