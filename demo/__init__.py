"""The newcomer's demo: a local site and corpus, a replayed platform API, and `earful demo` over them."""
