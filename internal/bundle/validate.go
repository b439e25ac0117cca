package bundle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/theforeman/foreman-operator/internal/rbac"
)

// ValidateOptions say where the bundle and its sources are.
type ValidateOptions struct {
	// Root is the repository; the bundle is read from Root/bundle and
	// Root/bundle.Dockerfile.
	Root string
	// Kubectl renders config/crd, config/rbac and config/default.
	Kubectl string
	// Config reaches the API server that dry-runs alm-examples; the
	// bundle's CRDs are applied to it first. Nil skips that check, with a
	// problem saying so.
	Config *rest.Config
}

// Validate checks the bundle and returns its problems, one sentence each;
// an error means it could not be checked.
func Validate(ctx context.Context, o ValidateOptions) ([]string, error) {
	manifests, err := readObjects(filepath.Join(o.Root, ManifestsDir))
	if err != nil {
		return nil, err
	}
	var csv *unstructured.Unstructured
	var crds Objects
	var problems []string
	for file, objs := range manifests {
		for _, obj := range objs {
			switch obj.GetKind() {
			case "ClusterServiceVersion":
				if csv != nil {
					problems = append(problems, file+": a second ClusterServiceVersion")
				}
				csv = obj
			case "CustomResourceDefinition":
				crds = append(crds, obj)
			}
		}
	}
	if csv == nil {
		return append(problems, ManifestsDir+" has no ClusterServiceVersion"), nil
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].GetName() < crds[j].GetName() })

	problems = append(problems, checkRequired(csv)...)
	problems = append(problems, checkOwned(csv, crds)...)

	configCRDs, err := Kustomize(o.Kubectl, filepath.Join(o.Root, "config", "crd"))
	if err != nil {
		return nil, err
	}
	problems = append(problems, checkCRDsEqual(crds, configCRDs)...)

	configRBAC, err := Kustomize(o.Kubectl, filepath.Join(o.Root, "config", "rbac"))
	if err != nil {
		return nil, err
	}
	problems = append(problems, checkPermissions(csv, configRBAC)...)

	configDefault, err := Kustomize(o.Kubectl, filepath.Join(o.Root, "config", "default"))
	if err != nil {
		return nil, err
	}
	problems = append(problems, checkDeployment(csv, configDefault)...)

	roleImages, err := RoleImages(o.Root)
	if err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, checkRelatedImages(csv, roleImages)...)
	problems = append(problems, checkMetadata(o.Root)...)

	examples, p := almExamplesOf(csv, crds)
	problems = append(problems, p...)
	if o.Config == nil {
		problems = append(problems, "alm-examples were not dry-run: no API server given")
	} else if len(examples) > 0 {
		p, err := dryRun(ctx, o.Config, crds, examples)
		if err != nil {
			return nil, err
		}
		problems = append(problems, p...)
	}
	return problems, nil
}

func str(u *unstructured.Unstructured, fields ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, fields...)
	return s
}

func slice(m map[string]any, fields ...string) []any {
	s, _, _ := unstructured.NestedSlice(m, fields...)
	return s
}

// capabilities are OLM's capability levels.
var capabilities = []string{"Basic Install", "Seamless Upgrades", "Full Lifecycle", "Deep Insights", "Auto Pilot"}

var installModes = []string{"OwnNamespace", "SingleNamespace", "MultiNamespace", "AllNamespaces"}

// checkRequired checks the fields OLM and OperatorHub need.
func checkRequired(csv *unstructured.Unstructured) []string {
	var p []string
	missing := func(what string) { p = append(p, "CSV: "+what) }
	version := str(csv, "spec", "version")
	if !semver.MatchString(version) {
		missing(fmt.Sprintf("spec.version %q is not a semantic version", version))
	}
	if csv.GetName() != Package+".v"+version {
		missing(fmt.Sprintf("metadata.name %q is not %s.v<spec.version>", csv.GetName(), Package))
	}
	for _, f := range [][]string{{"spec", "displayName"}, {"spec", "description"}, {"spec", "provider", "name"}, {"spec", "maturity"}} {
		if str(csv, f...) == "" {
			missing(strings.Join(f, ".") + " is empty")
		}
	}
	if v := str(csv, "spec", "minKubeVersion"); !semver.MatchString(v) {
		missing(fmt.Sprintf("spec.minKubeVersion %q is not a version such as 1.27.0", v))
	}
	if len(slice(csv.Object, "spec", "keywords")) == 0 {
		missing("spec.keywords is empty")
	}
	for _, list := range []struct{ field, a, b string }{{"links", "name", "url"}, {"maintainers", "name", "email"}} {
		items := slice(csv.Object, "spec", list.field)
		if len(items) == 0 {
			missing("spec." + list.field + " is empty")
		}
		for i, it := range items {
			m, _ := it.(map[string]any)
			if m[list.a] == nil || m[list.a] == "" || m[list.b] == nil || m[list.b] == "" {
				missing(fmt.Sprintf("spec.%s[%d] needs %s and %s", list.field, i, list.a, list.b))
			}
		}
	}
	icons := slice(csv.Object, "spec", "icon")
	if len(icons) == 0 {
		missing("spec.icon is empty")
	}
	for i, ic := range icons {
		m, _ := ic.(map[string]any)
		data, err := base64.StdEncoding.DecodeString(fmt.Sprint(m["base64data"]))
		mt := fmt.Sprint(m["mediatype"])
		switch {
		case err != nil || len(data) == 0:
			missing(fmt.Sprintf("spec.icon[%d].base64data is not base64", i))
		case mt == "image/svg+xml" && !bytes.Contains(data, []byte("<svg")):
			missing(fmt.Sprintf("spec.icon[%d] says SVG but is not", i))
		case mt != "image/svg+xml" && mt != "image/png":
			missing(fmt.Sprintf("spec.icon[%d].mediatype %q: want image/svg+xml or image/png", i, mt))
		}
	}
	modes := map[string]bool{}
	for _, m := range slice(csv.Object, "spec", "installModes") {
		mm, _ := m.(map[string]any)
		if s, _ := mm["supported"].(bool); s {
			modes[fmt.Sprint(mm["type"])] = true
		}
	}
	for _, m := range installModes {
		if !modes[m] {
			missing("install mode " + m + " is not supported")
		}
	}
	if str(csv, "spec", "install", "strategy") != "deployment" {
		missing("spec.install.strategy is not deployment")
	}
	if len(slice(csv.Object, "spec", "install", "spec", "deployments")) == 0 {
		missing("spec.install.spec.deployments is empty")
	}
	if len(slice(csv.Object, "spec", "relatedImages")) == 0 {
		missing("spec.relatedImages is empty")
	}
	ann := csv.GetAnnotations()
	if !slices.Contains(capabilities, ann["capabilities"]) {
		missing(fmt.Sprintf("annotation capabilities %q: want one of %s", ann["capabilities"], strings.Join(capabilities, ", ")))
	}
	for _, a := range []string{"alm-examples", "containerImage", "categories", "description", "repository"} {
		if ann[a] == "" {
			missing("annotation " + a + " is empty")
		}
	}
	return p
}

// checkOwned checks that each CRD is owned, with spec and status
// descriptors whose paths exist in its schema, and that nothing else is.
func checkOwned(csv *unstructured.Unstructured, crds Objects) []string {
	var p []string
	owned := slice(csv.Object, "spec", "customresourcedefinitions", "owned")
	byName := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, u := range crds {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
			p = append(p, fmt.Sprintf("CRD %s: %v", u.GetName(), err))
			continue
		}
		byName[crd.Name] = crd
		if findOwned(owned, crd.Name) < 0 {
			p = append(p, "CSV: CRD "+crd.Name+" is not in spec.customresourcedefinitions.owned")
		}
	}
	for _, o := range owned {
		m, _ := o.(map[string]any)
		name := fmt.Sprint(m["name"])
		crd := byName[name]
		if crd == nil {
			p = append(p, "CSV: owned CRD "+name+" is not in the bundle")
			continue
		}
		var version *apiextensionsv1.CustomResourceDefinitionVersion
		for i := range crd.Spec.Versions {
			if crd.Spec.Versions[i].Name == m["version"] && crd.Spec.Versions[i].Served {
				version = &crd.Spec.Versions[i]
			}
		}
		if version == nil {
			p = append(p, fmt.Sprintf("CSV: owned %s: version %v is not served", name, m["version"]))
			continue
		}
		if m["kind"] != crd.Spec.Names.Kind {
			p = append(p, fmt.Sprintf("CSV: owned %s: kind %v, the CRD says %s", name, m["kind"], crd.Spec.Names.Kind))
		}
		for _, f := range []string{"displayName", "description"} {
			if s, _ := m[f].(string); s == "" {
				p = append(p, fmt.Sprintf("CSV: owned %s: %s is empty", name, f))
			}
		}
		for _, part := range []string{"spec", "status"} {
			list, _ := m[part+"Descriptors"].([]any)
			if len(list) == 0 {
				p = append(p, fmt.Sprintf("CSV: owned %s has no %sDescriptors", name, part))
			}
			var schema *apiextensionsv1.JSONSchemaProps
			if version.Schema != nil && version.Schema.OpenAPIV3Schema != nil {
				if s, ok := version.Schema.OpenAPIV3Schema.Properties[part]; ok {
					schema = &s
				}
			}
			for _, d := range list {
				dm, _ := d.(map[string]any)
				path, _ := dm["path"].(string)
				if s, _ := dm["displayName"].(string); s == "" || path == "" {
					p = append(p, fmt.Sprintf("CSV: owned %s: a %s descriptor without path or displayName", name, part))
					continue
				}
				if !schemaHasPath(schema, path) {
					p = append(p, fmt.Sprintf("CSV: owned %s: %s descriptor %q is no field of the CRD's %s", name, part, path, part))
				}
				xs, _ := dm["x-descriptors"].([]any)
				for _, x := range xs {
					if !strings.HasPrefix(fmt.Sprint(x), "urn:alm:descriptor:") {
						p = append(p, fmt.Sprintf("CSV: owned %s: %s descriptor %q: x-descriptor %v is not urn:alm:descriptor:...", name, part, path, x))
					}
				}
			}
		}
	}
	return p
}

// schemaHasPath reports whether a descriptor path (a.b[0].c) names a field.
func schemaHasPath(s *apiextensionsv1.JSONSchemaProps, path string) bool {
	for _, part := range strings.Split(path, ".") {
		if s == nil {
			return false
		}
		name, index, _ := strings.Cut(part, "[")
		if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
			return true
		}
		if next, ok := s.Properties[name]; ok {
			s = &next
		} else if s.AdditionalProperties != nil && (s.AdditionalProperties.Allows || s.AdditionalProperties.Schema != nil) {
			s = s.AdditionalProperties.Schema
			if s == nil {
				return index == ""
			}
		} else {
			return false
		}
		if index != "" {
			if s.Items == nil || s.Items.Schema == nil {
				return false
			}
			s = s.Items.Schema
		}
	}
	return true
}

// checkCRDsEqual checks that the bundle's CRDs are config/crd's.
func checkCRDsEqual(bundle, config Objects) []string {
	var p []string
	byName := map[string]*unstructured.Unstructured{}
	for _, c := range config {
		byName[c.GetName()] = c
	}
	for _, b := range bundle {
		c, ok := byName[b.GetName()]
		if !ok {
			p = append(p, "CRD "+b.GetName()+" is in the bundle, not in config/crd")
			continue
		}
		delete(byName, b.GetName())
		if !equality.Semantic.DeepEqual(b.Object, c.Object) {
			p = append(p, "CRD "+b.GetName()+" differs from config/crd: run `make bundle`")
		}
	}
	for name := range byName {
		p = append(p, "CRD "+name+" of config/crd is not in the bundle")
	}
	sort.Strings(p)
	return p
}

// checkPermissions checks that the CSV grants what config/rbac grants, no
// more and no less, to the Deployment's ServiceAccount, and nothing policy
// forbids.
func checkPermissions(csv *unstructured.Unstructured, config Objects) []string {
	var p []string
	want := map[string][]rbac.Grant{}
	for _, kind := range []string{"Role", "ClusterRole"} {
		var rules []rbacv1.PolicyRule
		for _, r := range config.Kind(kind) {
			role := &rbacv1.Role{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(r.Object, role); err != nil {
				return []string{fmt.Sprintf("config/rbac %s %s: %v", kind, r.GetName(), err)}
			}
			rules = append(rules, role.Rules...)
		}
		want[kind] = rbac.Grants(rules)
	}
	deps := slice(csv.Object, "spec", "install", "spec", "deployments")
	sa := ""
	if len(deps) > 0 {
		sa, _, _ = unstructured.NestedString(deps[0].(map[string]any), "spec", "template", "spec", "serviceAccountName")
	}
	for field, kind := range map[string]string{"permissions": "Role", "clusterPermissions": "ClusterRole"} {
		var rules []rbacv1.PolicyRule
		for _, e := range slice(csv.Object, "spec", "install", "spec", field) {
			m, _ := e.(map[string]any)
			if m["serviceAccountName"] != sa {
				p = append(p, fmt.Sprintf("CSV: %s for ServiceAccount %v, but the Deployment runs as %s", field, m["serviceAccountName"], sa))
			}
			var perm struct {
				Rules []rbacv1.PolicyRule `json:"rules"`
			}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &perm); err != nil {
				p = append(p, fmt.Sprintf("CSV: %s: %v", field, err))
			}
			rules = append(rules, perm.Rules...)
		}
		got := rbac.Grants(rules)
		for _, g := range got {
			if why := rbac.Policy(g); why != "" {
				p = append(p, fmt.Sprintf("CSV: %s grants %s: %s", field, g, why))
			}
		}
		for _, g := range diffGrants(want[kind], got) {
			p = append(p, fmt.Sprintf("CSV: %s lack %s, which config/rbac grants: run `make bundle`", field, g))
		}
		for _, g := range diffGrants(got, want[kind]) {
			p = append(p, fmt.Sprintf("CSV: %s grant %s, which config/rbac does not", field, g))
		}
	}
	return p
}

func diffGrants(a, b []rbac.Grant) []rbac.Grant {
	var out []rbac.Grant
	for _, g := range a {
		if !slices.Contains(b, g) {
			out = append(out, g)
		}
	}
	return out
}

// checkDeployment checks that the CSV deploys the operator as
// config/default does, but for the image and WATCH_NAMESPACE, which comes
// from OLM's target namespaces.
func checkDeployment(csv *unstructured.Unstructured, config Objects) []string {
	deps := slice(csv.Object, "spec", "install", "spec", "deployments")
	want := config.Kind("Deployment")
	if len(deps) != len(want) {
		return []string{fmt.Sprintf("CSV: %d deployments, config/default has %d", len(deps), len(want))}
	}
	var p []string
	for i, d := range deps {
		m := d.(map[string]any)
		got, _ := m["spec"].(map[string]any)
		got = runtime.DeepCopyJSON(got)
		exp, _, _ := unstructured.NestedMap(want[i].Object, "spec")
		if m["name"] != want[i].GetName() {
			p = append(p, fmt.Sprintf("CSV: deployment %v, config/default has %s", m["name"], want[i].GetName()))
		}
		watch := ""
		for which, spec := range []map[string]any{got, exp} {
			containers := slice(spec, "template", "spec", "containers")
			for _, c := range containers {
				cm := c.(map[string]any)
				cm["image"] = "<image>"
				env, _ := cm["env"].([]any)
				for _, e := range env {
					em := e.(map[string]any)
					if em["name"] == "WATCH_NAMESPACE" {
						if which == 0 {
							watch, _, _ = unstructured.NestedString(em, "valueFrom", "fieldRef", "fieldPath")
						}
						delete(em, "value")
						delete(em, "valueFrom")
					}
				}
			}
			_ = unstructured.SetNestedSlice(spec, containers, "template", "spec", "containers")
		}
		if watch != olmTargetNamespaces {
			p = append(p, fmt.Sprintf("CSV: deployment %v: WATCH_NAMESPACE is not from %s", m["name"], olmTargetNamespaces))
		}
		if !equality.Semantic.DeepEqual(got, exp) {
			p = append(p, fmt.Sprintf("CSV: deployment %v differs from config/default's: run `make bundle`", m["name"]))
		}
		image, _, _ := unstructured.NestedSlice(m, "spec", "template", "spec", "containers")
		if len(image) > 0 && image[0].(map[string]any)["image"] != csv.GetAnnotations()["containerImage"] {
			p = append(p, "CSV: annotation containerImage is not the deployment's image")
		}
	}
	return p
}

// checkRelatedImages checks that relatedImages are the operator image and
// the images the roles deploy by default, and that the Deployment's
// RELATED_IMAGE_* variables are those images.
func checkRelatedImages(csv *unstructured.Unstructured, roleImages map[string]string) []string {
	var p []string
	want := map[string]string{Package: csv.GetAnnotations()["containerImage"]}
	for env, image := range roleImages {
		want[relatedImageName(env)] = image
	}
	got := map[string]string{}
	for _, r := range slice(csv.Object, "spec", "relatedImages") {
		m, _ := r.(map[string]any)
		got[fmt.Sprint(m["name"])] = fmt.Sprint(m["image"])
	}
	for name, image := range want {
		if got[name] != image {
			p = append(p, fmt.Sprintf("CSV: relatedImages %s is %q, want %q (the roles' default)", name, got[name], image))
		}
	}
	for name, image := range got {
		if _, ok := want[name]; !ok {
			p = append(p, fmt.Sprintf("CSV: relatedImages %s (%s) is no image the roles or the operator use", name, image))
		}
	}
	deps := slice(csv.Object, "spec", "install", "spec", "deployments")
	env := map[string]string{}
	for _, d := range deps {
		for _, c := range slice(d.(map[string]any), "spec", "template", "spec", "containers") {
			for _, e := range slice(c.(map[string]any), "env") {
				m := e.(map[string]any)
				if n := fmt.Sprint(m["name"]); strings.HasPrefix(n, relatedImagePrefix) {
					env[n] = fmt.Sprint(m["value"])
				}
			}
		}
	}
	for name, image := range roleImages {
		if env[name] != image {
			p = append(p, fmt.Sprintf("CSV: the deployment sets %s=%q, the roles deploy %q", name, env[name], image))
		}
	}
	for name := range env {
		if _, ok := roleImages[name]; !ok {
			p = append(p, fmt.Sprintf("CSV: the deployment sets %s, which no role reads", name))
		}
	}
	sort.Strings(p)
	return p
}

// checkMetadata checks annotations.yaml, and that bundle.Dockerfile labels
// the image with the same and copies the bundle.
func checkMetadata(root string) []string {
	var p []string
	data, err := os.ReadFile(filepath.Join(root, Annotations))
	if err != nil {
		return []string{err.Error()}
	}
	var a struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		return []string{Annotations + ": " + err.Error()}
	}
	fixed := map[string]string{
		"operators.operatorframework.io.bundle.mediatype.v1": "registry+v1",
		"operators.operatorframework.io.bundle.manifests.v1": "manifests/",
		"operators.operatorframework.io.bundle.metadata.v1":  "metadata/",
		"operators.operatorframework.io.bundle.package.v1":   Package,
	}
	for k, v := range fixed {
		if a.Annotations[k] != v {
			p = append(p, fmt.Sprintf("%s: %s is %q, want %q", Annotations, k, a.Annotations[k], v))
		}
	}
	channels := strings.Split(a.Annotations["operators.operatorframework.io.bundle.channels.v1"], ",")
	def := a.Annotations["operators.operatorframework.io.bundle.channel.default.v1"]
	if def == "" || !slices.Contains(channels, def) {
		p = append(p, fmt.Sprintf("%s: default channel %q is not among the channels %v", Annotations, def, channels))
	}
	df, err := os.ReadFile(filepath.Join(root, Dockerfile))
	if err != nil {
		return append(p, err.Error())
	}
	labels := map[string]string{}
	var copies []string
	sc := bufio.NewScanner(bytes.NewReader(df))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "LABEL "); ok {
			k, v, _ := strings.Cut(rest, "=")
			labels[k] = v
		}
		if rest, ok := strings.CutPrefix(line, "COPY "); ok {
			copies = append(copies, rest)
		}
	}
	for k, v := range a.Annotations {
		if labels[k] != v {
			p = append(p, fmt.Sprintf("%s: LABEL %s=%q, annotations.yaml says %q", Dockerfile, k, labels[k], v))
		}
	}
	for _, want := range []string{ManifestsDir + " /manifests/", MetadataDir + " /metadata/"} {
		if !slices.Contains(copies, want) {
			p = append(p, fmt.Sprintf("%s does not COPY %s", Dockerfile, want))
		}
	}
	return p
}

// almExamplesOf parses alm-examples and checks each is of an owned kind.
func almExamplesOf(csv *unstructured.Unstructured, crds Objects) ([]*unstructured.Unstructured, []string) {
	var raw []map[string]any
	if err := json.Unmarshal([]byte(csv.GetAnnotations()["alm-examples"]), &raw); err != nil {
		return nil, []string{"CSV: alm-examples is not a JSON list of objects: " + err.Error()}
	}
	owned := map[string]bool{}
	for _, crd := range crds {
		owned[str(crd, "spec", "group")+"/"+str(crd, "spec", "names", "kind")] = true
	}
	var out []*unstructured.Unstructured
	var p []string
	kinds := map[string]bool{}
	for i, r := range raw {
		u := &unstructured.Unstructured{Object: r}
		key := u.GroupVersionKind().Group + "/" + u.GetKind()
		if !owned[key] {
			p = append(p, fmt.Sprintf("CSV: alm-examples[%d] is a %s, no owned kind", i, key))
			continue
		}
		kinds[key] = true
		out = append(out, u)
	}
	for k := range owned {
		if !kinds[k] {
			p = append(p, "CSV: alm-examples has no example of "+k)
		}
	}
	return out, p
}

// dryRun applies the bundle's CRDs and asks the API server to create each
// example, without persisting it, with strict field validation.
func dryRun(ctx context.Context, cfg *rest.Config, crds Objects, examples []*unstructured.Unstructured) ([]string, error) {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, err
	}
	namespaced := map[string]bool{}
	for _, u := range crds {
		crd := u.DeepCopy()
		crd.SetResourceVersion("")
		if err := c.Patch(ctx, crd, client.Apply, client.ForceOwnership, client.FieldOwner("bundle-validate")); err != nil {
			return nil, fmt.Errorf("apply CRD %s: %w", crd.GetName(), err)
		}
		if err := waitEstablished(ctx, c, crd.GetName()); err != nil {
			return nil, err
		}
		namespaced[str(u, "spec", "group")+"/"+str(u, "spec", "names", "kind")] = str(u, "spec", "scope") == "Namespaced"
	}
	// A client made after the CRDs exist maps their kinds at once.
	if c, err = client.New(cfg, client.Options{}); err != nil {
		return nil, err
	}
	var p []string
	for i, e := range examples {
		obj := e.DeepCopy()
		if namespaced[obj.GroupVersionKind().Group+"/"+obj.GetKind()] {
			obj.SetNamespace("default")
		}
		if err := c.Create(ctx, obj, client.DryRunAll, client.FieldValidation("Strict")); err != nil {
			p = append(p, fmt.Sprintf("CSV: alm-examples[%d] (%s %s) is refused by the API server: %v", i, obj.GetKind(), obj.GetName(), err))
		}
	}
	return p, nil
}

func waitEstablished(ctx context.Context, c client.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		if err := c.Get(ctx, client.ObjectKey{Name: name}, u); err == nil {
			if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd) == nil {
				for _, cond := range crd.Status.Conditions {
					if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
						return nil
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRD %s is not established: %w", name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
