"""Dev, test and benchmark helpers: local Anvil, dev keys and provider, the demo.

Not part of the `zkcredits` wheel: installed from the checkout by scripts/setup.sh."""
