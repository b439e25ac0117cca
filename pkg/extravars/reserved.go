package extravars

import (
	"fmt"
	"regexp"
	"strings"
)

// This file is the one place that says which top-level variable names a CR spec
// may not set.
//
// A name is reserved when it
//
//   - starts with ansible_: connection, privilege and interpreter variables
//     (ansible_host, ansible_become, ansible_python_interpreter, ...), Ansible's own
//     magic variables (ansible_facts, ansible_check_mode, ansible_loop, ...) and our
//     ansible_operator_meta all live in that namespace;
//   - is in reservedNames below: Ansible 2.14's magic variables without that prefix,
//     the globals Ansible and Jinja put into every template, the names Jinja gives a
//     meaning of its own, and Jinja's literals and operators;
//   - starts with the CR's own _<group>_<kind> variable name, so a spec key cannot
//     shadow (or be shadowed by) the object or its raw spec.
//
// Playbook keywords (ansible-doc -t keyword -l: name, port, timeout, tags, ...) are
// not reserved, apart from environment, vars and loop, which are also magic or
// Jinja names. A variable named after a keyword does not change what the keyword
// does; Ansible only warns "Found variable using reserved name", and refusing
// them would refuse ordinary spec fields such as port or timeout.

// reservedPrefix starts every name that belongs to Ansible or the operator.
const reservedPrefix = "ansible_"

// reservedNames maps each reserved name without the ansible_ prefix to why it is
// reserved.
var reservedNames = map[string]string{
	// Magic variables that Ansible 2.14 sets itself (vars/manager.py,
	// inventory/host.py, inventory/data.py, playbook/loop_control.py); a spec
	// key would override them for every task.
	"environment":              whyMagic,
	"group_names":              whyMagic,
	"groups":                   whyMagic,
	"hostvars":                 whyMagic,
	"inventory_dir":            whyMagic,
	"inventory_file":           whyMagic,
	"inventory_hostname":       whyMagic,
	"inventory_hostname_short": whyMagic,
	"item":                     whyMagic,
	"omit":                     whyMagic,
	"play_hosts":               whyMagic,
	"playbook_dir":             whyMagic,
	"role_name":                whyMagic,
	"role_names":               whyMagic,
	"role_path":                whyMagic,
	"role_uuid":                whyMagic,
	"vars":                     whyMagic,

	// Globals of every template: Jinja's own and the ones Ansible's Templar adds
	// (template/__init__.py). A variable of the same name hides the function,
	// so a role's lookup(...) or range(...) would break.
	"cycler":    whyGlobal,
	"dict":      whyGlobal,
	"joiner":    whyGlobal,
	"lipsum":    whyGlobal,
	"lookup":    whyGlobal,
	"namespace": whyGlobal,
	"now":       whyGlobal,
	"q":         whyGlobal,
	"query":     whyGlobal,
	"range":     whyGlobal,
	"undef":     whyGlobal,

	// Names Jinja binds itself inside loops, blocks and macros.
	"caller":  whyJinjaName,
	"kwargs":  whyJinjaName,
	"loop":    whyJinjaName,
	"self":    whyJinjaName,
	"varargs": whyJinjaName,

	// Jinja literals and operators: "{{ true }}" is the literal, never the
	// variable, and "{{ not }}" does not parse.
	"False": whyJinjaWord,
	"None":  whyJinjaWord,
	"True":  whyJinjaWord,
	"and":   whyJinjaWord,
	"else":  whyJinjaWord,
	"false": whyJinjaWord,
	"if":    whyJinjaWord,
	"in":    whyJinjaWord,
	"is":    whyJinjaWord,
	"none":  whyJinjaWord,
	"not":   whyJinjaWord,
	"or":    whyJinjaWord,
	"true":  whyJinjaWord,
}

const (
	whyPrefix    = "names starting with ansible_ belong to Ansible and the operator"
	whyMagic     = "Ansible sets it as a magic variable"
	whyGlobal    = "it would hide a function that every template can call"
	whyJinjaName = "Jinja binds it itself"
	whyJinjaWord = "it is a Jinja literal or operator"
	whyObject    = "it would shadow the variables that hold the CR itself"
)

// ReservedKeyError reports a spec key that would become a reserved variable.
type ReservedKeyError struct {
	// Key is the top-level variable the spec key would become, after
	// snake_case conversion when the watch asks for it.
	Key string
	// Path is the spec key as written in the CR, e.g. spec.ansiblePythonInterpreter.
	Path string
}

func (e *ReservedKeyError) Error() string {
	why := reservedReason(e.Key, "")
	if why == "" {
		// Only the CR's own variables are reserved by a rule that needs the CR.
		why = whyObject
	}
	return fmt.Sprintf("%s would become the Ansible variable %q, which is reserved: %s", e.Path, e.Key, why)
}

// reservedReason says why key may not be set from the spec of a CR whose own
// variable is objectVar, or returns "" when it may.
func reservedReason(key, objectVar string) string {
	switch {
	case strings.HasPrefix(key, reservedPrefix):
		return whyPrefix
	case objectVar != "" && strings.HasPrefix(key, objectVar):
		return whyObject
	}
	return reservedNames[key]
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// specPath writes a top-level spec key the way a user finds it in the CR.
func specPath(key string) string {
	if plainKey.MatchString(key) {
		return "spec." + key
	}
	return fmt.Sprintf("spec[%q]", key)
}
