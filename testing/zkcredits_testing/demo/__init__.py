"""The main job end to end (`zkcredits demo`): a local stack, an honest agent paying 100+ calls
through the OpenAI client, a double-spender slashed by the gateway's watcher, and the withdrawal."""

from zkcredits_testing.demo.errors import DemoError
from zkcredits_testing.demo.story import StoryResult, run_story

__all__ = ["DemoError", "StoryResult", "run_story"]
