"""The bot token goes only to Slack's hosts (or the configured API host)."""

from bot.slack_files import SlackFileDownloader


def test_token_hosts() -> None:
    d = SlackFileDownloader("xoxb-1", "https://slack.com/api/", 1024)  # host rules only: no request is made
    assert d.may_send_token("https://files.slack.com/files-pri/T1-F1/download/me.jpg")
    assert not d.may_send_token("http://files.slack.com/x")  # never over plain HTTP
    assert not d.may_send_token("https://files.slack.com.evil.example/x")
    assert not d.may_send_token("https://evil.example/files.slack.com/x")
    assert not d.may_send_token("https://127.0.0.1:8080/x")


def test_configured_api_host_only_with_same_port() -> None:
    d = SlackFileDownloader("xoxb-1", "http://127.0.0.1:5555/api/", 1024)
    assert d.may_send_token("http://127.0.0.1:5555/files/F1/me.jpg")
    assert not d.may_send_token("http://127.0.0.1:5556/files/F1/me.jpg")
    assert not d.may_send_token("http://127.0.0.2:5555/files/F1/me.jpg")
