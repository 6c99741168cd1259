"""Channel adapters: turn a messenger's updates into ``Incoming`` and render
``Reply`` objects back. One broken channel never stops the others."""
