// Package deploycheck checks the deployment files in deploy/ offline: the Kubernetes
// manifests are strictly decoded into the k8s.io/api types, the systemd units and the
// Temporal Helm values are parsed, and each is held to the rules an operator relies on.
// It has no code besides its tests.
package deploycheck
