"""replica-bot: a Slack bot that turns one headshot photo into a Tavus replica."""
