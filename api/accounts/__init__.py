"""Who may use Earful over HTTP: users, their role in each workspace, API keys (`api.accounts.store`)."""
