"""Fakes the tests run the real code against (no mocks): ``bot_api.FakeBotApi`` is a local Telegram Bot API server."""
