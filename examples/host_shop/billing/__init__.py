"""The shop's subscription plans: an app of its own labelled ``subscriptions``, beside hookplatform's."""
