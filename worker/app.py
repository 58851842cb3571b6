"""Hugging Face Space entry point: `python app.py` (Gradio reads GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)."""

from automl_worker.space import build_app

demo = build_app()

if __name__ == "__main__":
    demo.launch()
