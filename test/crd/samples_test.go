package crd_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// designExample is the Foreman CR of the 2018 design (forklift
// containers/docs/design/deployment.md), which the API must accept as written.
const designExample = `
apiVersion: app.theforeman.org/v1alpha1
kind: Foreman
metadata:
  name: myforeman
  namespace: foreman
spec:
  dynflow_workers: 2
  plugins:
    katello: true
    remote_execution: true
`

// samples returns the files config/samples/kustomization.yaml lists, after
// checking that it lists every sample in the directory and nothing else.
func samples(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(raw, &k); err != nil {
		t.Fatalf("Parse config/samples/kustomization.yaml: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(samplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" {
			onDisk = append(onDisk, base)
		}
	}
	listed := slices.Sorted(slices.Values(k.Resources))
	if diff := cmp.Diff(onDisk, listed); diff != "" {
		t.Fatalf("config/samples/kustomization.yaml lists other files than the directory holds (-on disk +listed):\n%s", diff)
	}
	return k.Resources
}

func readSample(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.UnmarshalStrict(raw, &u.Object); err != nil {
		t.Fatalf("Parse sample %s: %v", name, err)
	}
	return u
}

func TestTheMainSampleIsTheDesignsExampleAsWritten(t *testing.T) {
	var want map[string]any
	if err := yaml.Unmarshal([]byte(designExample), &want); err != nil {
		t.Fatal(err)
	}
	got := readSample(t, "app_v1alpha1_foreman.yaml")
	if diff := cmp.Diff(want, got.Object); diff != "" {
		t.Errorf("config/samples/app_v1alpha1_foreman.yaml differs from the design's example (-design +sample):\n%s", diff)
	}
}

func TestEverySampleIsAccepted(t *testing.T) {
	c := strictClient(t)
	ns := namespace(t, c)
	for _, name := range samples(t) {
		t.Run(name, func(t *testing.T) {
			u := readSample(t, name)
			u.SetNamespace(ns) // the samples' own namespace is the user's choice
			if err := c.Create(context.Background(), u); err != nil {
				t.Fatalf("The API server refused sample %s: %v", name, err)
			}
			// The spec comes back as written: nothing the sample sets was
			// pruned as unknown or changed by a default.
			back := &unstructured.Unstructured{}
			back.SetGroupVersionKind(u.GroupVersionKind())
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: u.GetName()}, back); err != nil {
				t.Fatal(err)
			}
			var written, stored map[string]any
			if err := roundTrip(u.Object["spec"], &written); err != nil {
				t.Fatal(err)
			}
			if err := roundTrip(back.Object["spec"], &stored); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(written, stored, ignoreAddedKeys()); diff != "" {
				t.Errorf("The stored spec lost or changed fields of the sample (-sample +stored):\n%s", diff)
			}
		})
	}
}

// roundTrip reads v as YAML would: numbers and all in one form, so that a
// sample and what the API server stored compare.
func roundTrip(v any, into *map[string]any) error {
	raw, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(raw, into)
}

// ignoreAddedKeys ignores map entries the API server added (defaults) where
// the sample has none, so that only the sample's own fields are compared.
func ignoreAddedKeys() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		mi, ok := p.Last().(cmp.MapIndex)
		if !ok {
			return false
		}
		vx, _ := mi.Values()
		return !vx.IsValid()
	}, cmp.Ignore())
}
