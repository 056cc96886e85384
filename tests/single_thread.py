"""An autouse fixture for test modules of tiny tensors: import it to run them on one CPU thread."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_cpu_thread():
    """Tiny tensors run faster on one thread, and a busy CI machine cannot stall a thread barrier."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
