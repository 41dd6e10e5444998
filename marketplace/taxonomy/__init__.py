"""The capability taxonomy: ~10 groups, each with leaf capabilities, every one with Chinese and
English synonyms. Companies declare capabilities, scenarios require them, and free-text words are
mapped onto it by ``map_capability_words``; words it cannot map are kept as tags."""
