package rbac

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// A Use is one API call the operator makes: the verbs on a kind (or on a
// resource, for subresources and the Go code's declarations), and why.
type Use struct {
	// GroupVersionKind is what a role names, with an optional Subresource
	// ("status"); empty when Resource is set.
	GroupVersionKind schema.GroupVersionKind
	Subresource      string
	// Group and Resource name the API directly ("pods/exec").
	Group, Resource string
	Verbs           []string
	// Source is the file or Go package that makes the call; What is the
	// task, template or code path.
	Source, What string
}

// Verbs of the Kubernetes modules' requests.
var (
	readVerbs  = []string{"get", "list", "watch"}
	applyVerbs = []string{"create", "patch"}
)

// moduleName is the kubernetes.core module a task key names, if any.
func moduleName(key string) string {
	for _, prefix := range []string{"kubernetes.core.", "community.kubernetes.", "community.okd.", "redhat.openshift."} {
		if rest, ok := strings.CutPrefix(key, prefix); ok {
			return rest
		}
	}
	if strings.HasPrefix(key, "k8s") || strings.HasPrefix(key, "helm") {
		return key
	}
	return ""
}

// taskContext is what every Use of one task shares.
type taskContext struct {
	root, file, name string
	// facts maps each variable a set_fact task of the file sets to that
	// task's text, for a loop over a list built there.
	facts map[string]string
}

func (c taskContext) use(gvk schema.GroupVersionKind, verbs ...string) Use {
	return Use{GroupVersionKind: gvk, Verbs: verbs, Source: rel(c.root, c.file), What: "task " + strconv.Quote(c.name)}
}

func (c taskContext) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: task %q: %s", rel(c.root, c.file), c.name, fmt.Sprintf(format, args...))
}

// Scan returns the API calls of the roles and playbooks that the watches
// route to: each kubernetes.core task and k8s lookup in their task and
// handler files, and each object in their templates.
func Scan(root string, roleDirs, playbooks []string) ([]Use, error) {
	var uses []Use
	var errs []error
	seen := map[string]bool{}
	queue := slices.Clone(roleDirs)
	for _, pb := range playbooks {
		u, refs, err := scanTaskFile(root, pb, true)
		uses = append(uses, u...)
		errs = append(errs, err)
		for _, r := range refs {
			queue = append(queue, filepath.Join(root, "roles", r))
		}
	}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		u, refs, err := scanRole(root, dir)
		uses = append(uses, u...)
		errs = append(errs, err)
		for _, r := range refs {
			queue = append(queue, filepath.Join(root, "roles", r))
		}
	}
	return uses, errors.Join(errs...)
}

// scanRole reads one role's tasks, handlers, templates and dependencies, and
// returns the roles it includes.
func scanRole(root, dir string) ([]Use, []string, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("role %s: %w", rel(root, dir), err)
	}
	var uses []Use
	var refs []string
	var errs []error
	for _, sub := range []string{"tasks", "handlers"} {
		files, err := yamlFiles(filepath.Join(dir, sub))
		errs = append(errs, err)
		for _, f := range files {
			u, r, err := scanTaskFile(root, f, false)
			uses = append(uses, u...)
			refs = append(refs, r...)
			errs = append(errs, err)
		}
	}
	u, err := scanTemplates(root, filepath.Join(dir, "templates"))
	uses = append(uses, u...)
	errs = append(errs, err)
	r, err := roleDependencies(filepath.Join(dir, "meta", "main.yml"))
	refs = append(refs, r...)
	errs = append(errs, err)
	return uses, refs, errors.Join(errs...)
}

func yamlFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func roleDependencies(meta string) ([]string, error) {
	data, err := os.ReadFile(meta)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Dependencies []any `json:"dependencies"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", meta, err)
	}
	var refs []string
	for _, d := range m.Dependencies {
		switch d := d.(type) {
		case string:
			refs = append(refs, d)
		case map[string]any:
			if name, ok := d["role"].(string); ok {
				refs = append(refs, name)
			} else if name, ok := d["name"].(string); ok {
				refs = append(refs, name)
			}
		}
	}
	return refs, nil
}

// scanTaskFile reads a task file, or a playbook's plays, and returns the
// calls of its tasks and the roles it includes by name.
func scanTaskFile(root, file string, playbook bool) ([]Use, []string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var items []map[string]any
	if err := yaml.Unmarshal(data, &items); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", rel(root, file), err)
	}
	var tasks []map[string]any
	var refs []string
	if playbook {
		for _, play := range items {
			for _, key := range []string{"pre_tasks", "tasks", "post_tasks", "handlers"} {
				tasks = append(tasks, taskList(play[key])...)
			}
			for _, r := range asList(play["roles"]) {
				switch r := r.(type) {
				case string:
					refs = append(refs, r)
				case map[string]any:
					if name, ok := r["role"].(string); ok {
						refs = append(refs, name)
					} else if name, ok := r["name"].(string); ok {
						refs = append(refs, name)
					}
				}
			}
		}
	} else {
		tasks = items
	}
	var uses []Use
	var errs []error
	facts := map[string]string{}
	var collect func([]map[string]any)
	collect = func(ts []map[string]any) {
		for _, t := range ts {
			for _, key := range []string{"block", "rescue", "always"} {
				collect(taskList(t[key]))
			}
			for _, key := range []string{"ansible.builtin.set_fact", "set_fact"} {
				if args, ok := t[key].(map[string]any); ok {
					for v := range args {
						facts[v] += strings.Join(stringsIn(t), "\n")
					}
				}
			}
		}
	}
	collect(tasks)
	var walk func([]map[string]any)
	walk = func(ts []map[string]any) {
		for _, t := range ts {
			for _, key := range []string{"block", "rescue", "always"} {
				walk(taskList(t[key]))
			}
			name, _ := t["name"].(string)
			u, r, err := scanTask(taskContext{root: root, file: file, name: name, facts: facts}, t)
			uses = append(uses, u...)
			refs = append(refs, r...)
			errs = append(errs, err)
		}
	}
	walk(tasks)
	return uses, refs, errors.Join(errs...)
}

func taskList(v any) []map[string]any {
	var out []map[string]any
	for _, t := range asList(v) {
		if m, ok := t.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// scanTask returns the calls of one task: its module's, and its k8s lookups'.
func scanTask(c taskContext, task map[string]any) ([]Use, []string, error) {
	var uses []Use
	var refs []string
	var errs []error
	text := strings.Join(stringsIn(task), "\n")
	u, err := scanLookups(c, text)
	uses = append(uses, u...)
	errs = append(errs, err)
	// A loop over a list a set_fact of the file built: the kinds are the
	// dict literals there.
	if loop, ok := task["loop"].(string); ok {
		for _, v := range loopVar.FindAllString(loop, -1) {
			text += "\n" + c.facts[v]
		}
	}
	for key, args := range task {
		switch key {
		case "ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role":
			if m, ok := args.(map[string]any); ok {
				if name, ok := m["name"].(string); ok && !strings.Contains(name, "{{") {
					refs = append(refs, name)
				}
			}
			continue
		}
		mod := moduleName(key)
		if mod == "" {
			continue
		}
		m, ok := args.(map[string]any)
		if !ok {
			errs = append(errs, c.errorf("%s: give its arguments as a YAML mapping, not a string", key))
			continue
		}
		u, err := scanModule(c, mod, m, text)
		uses = append(uses, u...)
		errs = append(errs, err)
	}
	return uses, refs, errors.Join(errs...)
}

// scanModule returns the calls of one kubernetes.core module invocation.
func scanModule(c taskContext, mod string, args map[string]any, text string) ([]Use, error) {
	switch mod {
	case "k8s", "k8s_info", "k8s_json_patch":
	case "k8s_exec", "k8s_cp":
		// Both run a command in a container: the pods/exec subresource.
		return []Use{{Group: "", Resource: "pods/exec", Verbs: []string{"create", "get"}, Source: rel(c.root, c.file),
			What: "task " + strconv.Quote(c.name)}}, nil
	case "k8s_log":
		return []Use{{Group: "", Resource: "pods/log", Verbs: []string{"get"}, Source: rel(c.root, c.file),
			What: "task " + strconv.Quote(c.name)}}, nil
	case "k8s_cluster_info":
		return nil, nil // discovery only, which every authenticated user may read
	default:
		return nil, c.errorf("module %s: its API calls are unknown to internal/rbac; teach Scan what it needs", mod)
	}
	gvks, err := taskKinds(c, args, text)
	if err != nil {
		return nil, err
	}
	if gvks == nil { // objects of the role's templates: scanTemplates grants them
		if force, _ := args["force"].(bool); force {
			return []Use{{Source: rel(c.root, c.file), What: "task " + strconv.Quote(c.name), Verbs: []string{"update"},
				Resource: templatesMarker}}, nil
		}
		return nil, nil
	}
	var verbs []string
	switch mod {
	case "k8s_info":
		verbs = []string{"list"}
		if _, named := args["name"]; named {
			verbs = []string{"get"}
		}
		if wait, _ := args["wait"].(bool); wait {
			verbs = append(verbs, "get") // it polls
		}
	case "k8s_json_patch":
		verbs = []string{"get", "patch"}
	default:
		state, _ := args["state"].(string)
		switch state {
		case "", "present":
			// The proxy GETs before a server-side apply; the engine
			// watches every kind a run writes.
			verbs = append(slices.Clone(readVerbs), applyVerbs...)
			if force, _ := args["force"].(bool); force {
				verbs = append(verbs, "update")
			}
		case "patched":
			verbs = append(slices.Clone(readVerbs), "patch")
		case "absent":
			verbs = append(slices.Clone(readVerbs), "delete")
		default:
			return nil, c.errorf("state %q: want a literal present, patched or absent", state)
		}
	}
	var uses []Use
	for _, gvk := range gvks {
		uses = append(uses, c.use(gvk, verbs...))
	}
	return uses, nil
}

// templatesMarker stands, in a Use, for "every object the role's templates
// define"; Resolve replaces it.
const templatesMarker = "\x00templates"

// dictPair finds Jinja dict literals such as {'api_version': 'apps/v1',
// 'kind': 'Deployment', ...}, in either quote style.
var dictPair = regexp.MustCompile(`["']api_version["']\s*:\s*["']([^"'{}]+)["']\s*,\s*["']kind["']\s*:\s*["']([^"'{}]+)["']`)

// templateLookup finds a definition built from the role's templates.
var templateLookup = regexp.MustCompile(`(?:lookup|query)\(\s*["'](?:ansible\.builtin\.)?template["']`)

// loopVar finds the variable names in a loop expression.
var loopVar = regexp.MustCompile(`\b[A-Za-z_][A-Za-z0-9_]*\b`)

// taskKinds reads the kinds a k8s module call acts on: its literal
// api_version and kind; else the dict literals of its loop or vars; else nil
// when its definition comes from the role's templates (which scanTemplates
// reads). Anything else is an error.
func taskKinds(c taskContext, args map[string]any, text string) ([]schema.GroupVersionKind, error) {
	av, _ := args["api_version"].(string)
	if av == "" {
		av, _ = args["apiVersion"].(string)
	}
	kind, _ := args["kind"].(string)
	if av != "" && kind != "" && !strings.Contains(av+kind, "{{") {
		return []schema.GroupVersionKind{gvkOf(av, kind)}, nil
	}
	switch def := args["definition"].(type) {
	case map[string]any:
		a, _ := def["apiVersion"].(string)
		k, _ := def["kind"].(string)
		if a != "" && k != "" && !strings.Contains(a+k, "{{") {
			return []schema.GroupVersionKind{gvkOf(a, k)}, nil
		}
	case string:
		// A literal YAML definition: one object per document.
		var out []schema.GroupVersionKind
		for _, doc := range docSeparator.Split(def, -1) {
			avs, kinds := topAPI.FindAllStringSubmatch(doc, -1), topKind.FindAllStringSubmatch(doc, -1)
			if len(avs) == 1 && len(kinds) == 1 && !strings.Contains(avs[0][1]+kinds[0][1], "{{") {
				out = append(out, gvkOf(unquoteYAML(avs[0][1]), unquoteYAML(kinds[0][1])))
			}
		}
		if out != nil {
			return out, nil
		}
	}
	if m := dictPair.FindAllStringSubmatch(text, -1); m != nil {
		var out []schema.GroupVersionKind
		for _, p := range m {
			out = append(out, gvkOf(p[1], p[2]))
		}
		return out, nil
	}
	state, _ := args["state"].(string)
	if templateLookup.MatchString(text) && (state == "" || state == "present") {
		return nil, nil
	}
	return nil, c.errorf("cannot tell which kind it acts on: give a literal api_version and kind " +
		"(beside a definition too), or build the definition from the role's templates")
}

func gvkOf(apiVersion, kind string) schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(strings.TrimSpace(apiVersion), strings.TrimSpace(kind))
}

// scanLookups returns the reads of the k8s lookups in a task's strings:
// query('kubernetes.core.k8s', api_version='v1', kind='Secret', ...).
func scanLookups(c taskContext, text string) ([]Use, error) {
	var uses []Use
	var errs []error
	for _, call := range k8sLookups(text) {
		kw := keywordArgs(call)
		if _, ok := kw["cluster_info"]; ok {
			continue // discovery
		}
		av, kind := unquote(kw["api_version"]), unquote(kw["kind"])
		if av == "" || kind == "" {
			errs = append(errs, c.errorf("k8s lookup %q: give api_version and kind as quoted literals", call))
			continue
		}
		verb := "list"
		if _, ok := kw["resource_name"]; ok {
			verb = "get"
		}
		u := c.use(gvkOf(av, kind), verb)
		u.What = "k8s lookup in " + u.What
		uses = append(uses, u)
	}
	return uses, errors.Join(errs...)
}

var lookupStart = regexp.MustCompile(`(?:lookup|query)\(\s*["'](?:kubernetes\.core\.)?k8s["']\s*,`)

// k8sLookups returns the argument text of each k8s lookup call in text.
func k8sLookups(text string) []string {
	var calls []string
	for _, loc := range lookupStart.FindAllStringIndex(text, -1) {
		depth, quote := 1, byte(0)
		i := loc[1]
		for ; i < len(text) && depth > 0; i++ {
			switch ch := text[i]; {
			case quote != 0:
				if ch == quote {
					quote = 0
				}
			case ch == '\'' || ch == '"':
				quote = ch
			case ch == '(':
				depth++
			case ch == ')':
				depth--
			}
		}
		calls = append(calls, text[loc[1]:max(i-1, loc[1])])
	}
	return calls
}

// keywordArgs splits "a='x', b=y ~ 'z'" at top-level commas into a=... pairs.
func keywordArgs(args string) map[string]string {
	out := map[string]string{}
	depth, quote, start := 0, byte(0), 0
	add := func(part string) {
		if k, v, ok := strings.Cut(part, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	for i := 0; i < len(args); i++ {
		switch ch := args[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(' || ch == '[' || ch == '{':
			depth++
		case ch == ')' || ch == ']' || ch == '}':
			depth--
		case ch == ',' && depth == 0:
			add(args[start:i])
			start = i + 1
		}
	}
	add(args[start:])
	return out
}

// unquote returns the content of a quoted literal, or "" for an expression.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] && !strings.ContainsAny(s[1:len(s)-1], `'"{}`) {
		return s[1 : len(s)-1]
	}
	return ""
}

// stringsIn returns every string (keys excluded) in a YAML value.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, stringsIn(v[k])...)
		}
		return out
	}
	return nil
}

var (
	docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)
	topAPI       = regexp.MustCompile(`(?m)^apiVersion:[ \t]*(\S.*?)[ \t]*$`)
	topKind      = regexp.MustCompile(`(?m)^kind:[ \t]*(\S.*?)[ \t]*$`)
)

// scanTemplates returns the objects of a role's templates: each document
// with apiVersion and kind at its top level is an object the role applies
// (create, then server-side apply). A template without them, such as a
// configuration file, is no object.
func scanTemplates(root, dir string) ([]Use, error) {
	var uses []Use
	var errs []error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".j2") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range docSeparator.Split(string(data), -1) {
			avs, kinds := topAPI.FindAllStringSubmatch(doc, -1), topKind.FindAllStringSubmatch(doc, -1)
			if len(avs) == 0 && len(kinds) == 0 {
				continue
			}
			if len(avs) != 1 || len(kinds) != 1 || strings.Contains(avs[0][1]+kinds[0][1], "{{") {
				errs = append(errs, fmt.Errorf("%s: document %d: want one literal apiVersion and kind at the top level, one object per document",
					rel(root, path), i+1))
				continue
			}
			uses = append(uses, Use{GroupVersionKind: gvkOf(unquoteYAML(avs[0][1]), unquoteYAML(kinds[0][1])),
				Verbs: append(slices.Clone(readVerbs), applyVerbs...), Source: rel(root, path), What: "template"})
		}
		return nil
	})
	errs = append(errs, err)
	return uses, errors.Join(errs...)
}

func unquoteYAML(s string) string {
	return strings.Trim(s, `"'`)
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}
