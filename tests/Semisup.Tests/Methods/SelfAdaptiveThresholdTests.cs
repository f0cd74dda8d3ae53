using Semisup.Methods;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class SelfAdaptiveThresholdTests
{
    [Fact]
    public void The_bars_and_averages_are_the_hand_computed_values()
    {
        using var threshold = new SelfAdaptiveThreshold(classes: 3, momentum: 0.1);
        var q = tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.5f, 0.4f, 0.1f, 0.2f, 0.2f, 0.6f, 0.1f, 0.8f, 0.1f }).reshape(4, 3);
        var mask = threshold.Mask(q);
        // τ = 0.1 · 1 + 0.9 · mean(0.7, 0.5, 0.6, 0.8) = 0.685; p̃ = 0.1 + 0.9 · (0.375, 0.4, 0.225) = (0.4375, 0.46, 0.3025).
        Assert.Equal(0.685, threshold.Level.item<float>(), 5);
        Assert.Equal([0.4375f, 0.46f, 0.3025f], threshold.ClassLevel.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        // Bars: class 0 at 0.685 · 0.4375 / 0.46 = 0.6515, class 1 at 0.685, class 2 at 0.685 · 0.3025 / 0.46 = 0.4505.
        // The third image (0.6 for class 2) passes below the global level; the second (0.5 for class 0) does not.
        Assert.Equal([1f, 0f, 1f, 1f], mask.data<float>().ToArray());
        threshold.Mask(q);
        Assert.Equal(0.1 * 0.685 + 0.9 * 0.65, threshold.Level.item<float>(), 5);
    }

    [Fact]
    public void The_averages_are_buffers_a_checkpoint_carries_and_they_start_at_one()
    {
        using var threshold = new SelfAdaptiveThreshold(classes: 4, momentum: 0.999);
        Assert.Equal(["level", "class_level"], threshold.state_dict().Keys);
        Assert.Equal([1f], threshold.Level.data<float>().ToArray());
        Assert.Equal([1f, 1f, 1f, 1f], threshold.ClassLevel.data<float>().ToArray());
        Assert.Empty(threshold.parameters());
    }
}
