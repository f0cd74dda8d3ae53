using Semisup.Models;
using Semisup.Optim;
using static TorchSharp.torch;

namespace Semisup.Tests.Models;

public class GapNetTests
{
    [Theory]
    [InlineData(new[] { 32, 64, 128 }, 2)]
    [InlineData(new[] { 8, 16 }, 1)]
    public void Its_parameter_count_is_the_one_it_announces_and_its_output_one_row_of_logits_per_image(int[] widths, int convs)
    {
        var config = new GapNetConfig(widths, convs);
        using var net = new GapNet(config);
        Assert.Equal(config.Parameters, net.parameters().Sum(p => (double)p.numel()));
        using var x = rand(3, 1, 28, 28);
        using var y = net.call(x);
        Assert.Equal([3L, 10], y.shape);
        net.eval();
        using var z = net.call(x);
        Assert.Equal([3L, 10], z.shape);
    }

    [Fact]
    public void Its_multiply_adds_are_counted_by_hand()
    {
        // 28×28: 1→8 and 8→8; 14×14: 8→16 and 16→16; then 16×10.
        double expected = 9.0 * (1 * 8 + 8 * 8) * 784 + 9.0 * (8 * 16 + 16 * 16) * 196 + 16 * 10;
        Assert.Equal(expected, new GapNetConfig([8, 16]).MultiplyAdds);
    }

    [Fact]
    public void The_cosine_schedule_warms_up_then_halves_at_the_midpoint_and_ends_near_zero()
    {
        var s = new Cosine(WarmupEpochs: 2);
        Assert.Equal(0.1 / 3, s.At(1, 0.1, 12), 12);
        Assert.Equal(0.2 / 3, s.At(2, 0.1, 12), 12);
        // After the warm-up, 10 epochs; epoch 8 is at progress (8 − 2 − 0.5)/10 = 0.55.
        Assert.Equal(0.1 * 0.5 * (1 + Math.Cos(Math.PI * 0.55)), s.At(8, 0.1, 12), 12);
        Assert.True(s.At(12, 0.1, 12) < 0.001);
        Assert.Contains("schedule.warmupEpochs: -1 must not be negative",
            Assert.Throws<SemisupException>(() => new Semisup.Recipes.Recipe { Schedule = new Cosine(-1) }.Validate()).Message);
    }
}
