import stat

from summarizer.cache import Cache, NullCache, make_key


def test_values_persist_across_connections(tmp_path):
    cache = Cache(tmp_path / "c")
    key = make_key("translation", "m", {"num_beams": 4}, "Bonjour.")
    cache.put_many("translation", "m", {key: "Hello."})
    cache.close()
    assert Cache(tmp_path / "c").get_many([key, "absent"]) == {key: "Hello."}


def test_keys_change_with_task_model_settings_and_text():
    base = make_key("translation", "m@1", {"num_beams": 4}, "Bonjour.")
    assert base == make_key("translation", "m@1", {"num_beams": 4}, "Bonjour.")
    assert (
        len(
            {
                base,
                make_key("summarization", "m@1", {"num_beams": 4}, "Bonjour."),
                make_key("translation", "m@2", {"num_beams": 4}, "Bonjour."),
                make_key("translation", "m@1", {"num_beams": 5}, "Bonjour."),
                make_key("translation", "m@1", {"num_beams": 4}, "Bonjour !"),
            }
        )
        == 5
    )


def test_key_ignores_the_order_settings_are_written_in():
    assert make_key("t", "m", {"a": 1, "b": 2}, "x") == make_key("t", "m", {"b": 2, "a": 1}, "x")


def test_cache_folder_is_private_and_tagged_for_backup_tools(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.get_many(["k"])
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")


def test_lookups_of_many_keys_are_answered_in_one_call(tmp_path):
    cache = Cache(tmp_path / "c")
    items = {f"k{i}": f"v{i}" for i in range(1200)}
    cache.put_many("t", "m", items)
    assert cache.get_many(items) == items


def test_null_cache_never_stores(tmp_path):
    cache = NullCache()
    cache.put_many("t", "m", {"k": "v"})
    assert cache.get_many(["k"]) == {}
