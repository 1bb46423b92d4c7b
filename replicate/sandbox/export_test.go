package sandbox

// For the package's external tests (sandbox_test), which use the
// sandboxtest harness and so cannot be in package sandbox.
var (
	Alive    = alive
	OwnerUID = ownerUID
)
