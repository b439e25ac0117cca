// Command gendocs renders the reference of each custom resource's spec into
// README.md, between a pair of markers per kind:
//
//	<!-- BEGIN FOREMAN SPEC REFERENCE -->
//	<!-- END FOREMAN SPEC REFERENCE -->
//	<!-- BEGIN SMARTPROXY SPEC REFERENCE -->
//	<!-- END SMARTPROXY SPEC REFERENCE -->
//
// from the generated CRD's OpenAPI schema (type, default, enum, bounds and
// CEL rule messages: what the API server enforces) and the Go types in
// pkg/apis/app/v1alpha1 (field order, and where a typed Kubernetes type such
// as corev1.Affinity begins, which is linked rather than expanded). The two
// must agree field by field, so a CRD older than the types is an error.
// It also shows each kind's example CR and, for a kind whose empty spec is
// valid, what the API server stores for it, computed with the API server's
// own defaulting code.
//
// `make docs` runs it; `make verify-gen` runs it with -out to check the
// README is current, as does this package's test.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// kindDoc is one kind's reference: where it goes and what it is made of.
type kindDoc struct {
	// Marker is the word of the kind's markers: BEGIN <Marker> SPEC REFERENCE.
	Marker string
	// CRD and Sample are file names in the CRD and samples directories.
	CRD, Sample string
	// SampleIntro introduces the example.
	SampleIntro string
	// EmptySpec shows what the API server stores for an empty spec.
	EmptySpec bool
	SpecType  reflect.Type
}

func (k kindDoc) begin() string { return "<!-- BEGIN " + k.Marker + " SPEC REFERENCE -->" }
func (k kindDoc) end() string   { return "<!-- END " + k.Marker + " SPEC REFERENCE -->" }

// kinds are the references the README holds, in no particular order.
var kinds = []kindDoc{
	{
		Marker: "FOREMAN", CRD: "app.theforeman.org_foremen.yaml", Sample: "app_v1alpha1_foreman.yaml",
		SampleIntro: "The design's example", EmptySpec: true, SpecType: reflect.TypeFor[appv1alpha1.ForemanSpec](),
	},
	{
		Marker: "SMARTPROXY", CRD: "app.theforeman.org_smartproxies.yaml", Sample: "app_v1alpha1_smartproxy.yaml",
		SampleIntro: "A Smart Proxy alone, for a Foreman elsewhere", SpecType: reflect.TypeFor[appv1alpha1.SmartProxySpec](),
	},
}

// sources are the directories the references are made of, as the README
// names them.
type sources struct {
	CRDDir     string // the generated CRDs
	SamplesDir string // the example CRs
}

// defaultSources are relative to the repository's root, where make runs.
var defaultSources = sources{CRDDir: "config/crd/bases", SamplesDir: "config/samples"}

func main() {
	src := defaultSources
	flag.StringVar(&src.CRDDir, "crd-dir", src.CRDDir, "the directory of the generated CRDs")
	flag.StringVar(&src.SamplesDir, "samples-dir", src.SamplesDir, "the directory of the example CRs shown in the references")
	readme := flag.String("readme", "README.md", "the README with the reference markers")
	out := flag.String("out", "", "write the updated README here instead of over -readme")
	flag.Parse()
	if *out == "" {
		*out = *readme
	}
	if err := run(src, *readme, *out); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

func run(src sources, readmePath, outPath string) error {
	updated, err := updatedReadme(src, readmePath)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(outPath); err == nil && bytes.Equal(old, updated) {
		return nil // leave the file's modification time alone
	}
	return os.WriteFile(outPath, updated, 0o644)
}

// updatedReadme returns the README at readmePath with a freshly rendered
// reference between each kind's markers.
func updatedReadme(src sources, readmePath string) ([]byte, error) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		ref, err := renderKind(src, k)
		if err != nil {
			return nil, err
		}
		if readme, err = splice(readme, k.begin(), k.end(), ref); err != nil {
			return nil, fmt.Errorf("%s: %w", readmePath, err)
		}
	}
	return readme, nil
}

// renderKind renders one kind's reference from its CRD and sample.
func renderKind(src sources, k kindDoc) (string, error) {
	crdPath := filepath.Join(src.CRDDir, k.CRD)
	crdYAML, err := os.ReadFile(crdPath)
	if err != nil {
		return "", err
	}
	samplePath := filepath.Join(src.SamplesDir, k.Sample)
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		return "", err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(crdYAML, &crd); err != nil {
		return "", fmt.Errorf("parse %s: %w", crdPath, err)
	}
	ref, err := reference(&crd, k, filepath.ToSlash(filepath.Join(defaultSources.SamplesDir, k.Sample)), sample)
	if err != nil {
		return "", fmt.Errorf("render the reference from %s: %w", crdPath, err)
	}
	return ref, nil
}

// splice replaces what lies between the markers in readme by ref.
func splice(readme []byte, beginMarker, endMarker, ref string) ([]byte, error) {
	begin := bytes.Index(readme, []byte(beginMarker))
	end := bytes.Index(readme, []byte(endMarker))
	switch {
	case begin < 0 || end < 0:
		return nil, fmt.Errorf("the markers %s and %s must both be there", beginMarker, endMarker)
	case bytes.Count(readme, []byte(beginMarker)) > 1 || bytes.Count(readme, []byte(endMarker)) > 1:
		return nil, fmt.Errorf("the markers %s and %s must be there once each", beginMarker, endMarker)
	case end < begin:
		return nil, fmt.Errorf("%s comes before %s", endMarker, beginMarker)
	}
	var b bytes.Buffer
	b.Write(readme[:begin+len(beginMarker)])
	b.WriteString("\n")
	b.WriteString(ref)
	b.Write(readme[end:])
	return b.Bytes(), nil
}
