using static TorchSharp.torch;

namespace Semisup.Tests.Build;

public class TorchLoadTests
{
    [Fact]
    public void Libtorch_loads_and_runs_a_forward_and_backward_pass()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new float[] { 1, -2, 3 }, requires_grad: true);
        var x = tensor(new float[] { 0.5f, 0.25f, -1 });
        var loss = (w * x).sum().pow(2); // (Σ w·x)² = (0.5 - 0.5 - 3)² = 9
        loss.backward();
        Assert.Equal(9f, loss.item<float>(), 5);
        // d/dw (Σ w·x)² = 2 (Σ w·x) x = -6 x
        Assert.Equal(new[] { -3f, -1.5f, 6f }, w.grad!.data<float>().ToArray());
    }
}
