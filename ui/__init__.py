"""The edges: the `referat` CLI and the Gradio app."""
