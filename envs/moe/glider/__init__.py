"""``netgym/MoeGliderRouting-v0``: per-query LoRA-expert routing with an optional global
instruction signal (Glider, Li et al., arXiv 2410.07172; ``docs/moe_glider.md``)."""
