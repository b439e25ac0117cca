// Package forkserver starts Ansible runs, and the Python modules they
// execute, by forking them from a Python process that has imported Ansible
// and the kubernetes client once, instead of executing a new interpreter
// that imports them again.
//
// Measured here (2 CPUs): ansible-playbook spends about 0.45 CPU-seconds
// importing and initialising before its first task, and every
// kubernetes.core task runs a module process that spends about 0.4
// CPU-seconds importing the kubernetes client. Forked children skip both,
// and share the imported pages with the server instead of holding copies.
//
// # How
//
// Start runs forkserver.py under the Python of ansible-playbook's "#!" line
// (PythonOf) with the runs' environment. It imports Options.Preload (hints:
// a failed import is skipped), freezes the garbage collector so children do
// not copy the shared pages, and listens on a Unix socket in Options.Dir.
// Spawn sends a request (argv, environment, working directory) with the
// child's descriptors 0, 1, 2, 3... attached (SCM_RIGHTS). The server forks;
// the child puts itself in a new process group, takes the descriptors,
// environment and directory, and runs argv[0] as __main__, as "python3
// script" would; when it ends the interpreter exits as usual (threads
// joined, atexit handlers run). The server answers with the pid, and later
// with the exit code or the signal.
//
// Install also writes a shim, "foreman-python", to use as
// ansible_python_interpreter. Ansible runs each Python module as
// "<interpreter>" with the module on stdin (or "<interpreter> file"); the
// shim sends that to the server named by $FOREMAN_FORKSERVER_SOCKET with
// its own descriptors, the module's environment and its process group, so
// the module's child joins the run's group (a stopped run stops its
// modules too). It forwards SIGTERM, SIGINT, SIGHUP and SIGQUIT to the
// child and exits as the child did. Without the variable, or when the
// server cannot be reached, or for interpreter options it does not handle,
// the shim executes the real Python: a module always runs.
//
// # What a child inherits
//
// Everything the preloaded modules computed at import. That is why the
// server's environment must equal the runs' (the runner starts one server
// per distinct environment, less the per-run variables, and executes a run
// whose working directory holds an ansible.cfg), and why each child undoes
// the two process-specific values known to matter: Ansible's local temp
// directory (ansible-local-<pid>, removed at exit, so each child makes its
// own) and the kubernetes client's default kubeconfig location (read from
// $KUBECONFIG at import).
//
// # Lifetime
//
// The server runs in a process group of its own and gets SIGTERM when the
// operator dies (parent-death signal); on SIGTERM it kills its children's
// process groups and exits. Each child gets SIGKILL when the server dies.
// Close stops the server the same way.
package forkserver
