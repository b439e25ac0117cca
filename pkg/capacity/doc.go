// Package capacity sizes the operator's run concurrency from the limits of
// the cgroup it runs in, before any CR event arrives: each concurrent
// Ansible run takes about one CPU and 100 MB of memory.
package capacity
