using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Models;

public class MlpTests
{
    [Fact]
    public void Its_parameter_count_and_multiply_adds_are_the_ones_it_announces()
    {
        var config = new MlpConfig([20, 8]);
        using var net = new Mlp(config);
        Assert.Equal(config.Parameters, net.parameters().Sum(p => (double)p.numel()));
        // 784·20 + 20·8 + 8·10 weights, β and γ for 28 hidden units, 10 output biases.
        Assert.Equal(784 * 20 + 20 * 8 + 8 * 10 + 2 * 28 + 10, config.Parameters);
        Assert.Equal(784 * 20 + 20 * 8 + 8 * 10, config.MultiplyAdds);
        Assert.Contains("hidden: [0]; every layer needs at least 1 unit", new MlpConfig([0]).Problems());
    }

    [Fact]
    public void Its_forward_is_its_layers_in_order()
    {
        manual_seed(1);
        using var net = new Mlp(new MlpConfig([6, 4]));
        net.eval();
        using var x = rand(3, 1, 28, 28);
        // By hand: standardise, flatten, (linear → batch norm with running statistics → ReLU) twice, linear.
        var sd = net.state_dict();
        var h = ((x - 0.1307) / 0.3081).flatten(1);
        for (int l = 0; l < 2; l++)
        {
            var pre = h.matmul(sd[$"layers.{l}.linear.weight"].t());
            var bn = (pre - sd[$"layers.{l}.bn.running_mean"]) / (sd[$"layers.{l}.bn.running_var"] + 1e-5).sqrt() * sd[$"layers.{l}.bn.weight"] + sd[$"layers.{l}.bn.bias"];
            h = nn.functional.relu(bn);
        }
        var expected = h.matmul(sd["head.weight"].t()) + sd["head.bias"];
        Assert.True(expected.allclose(net.call(x), rtol: 1e-5, atol: 1e-5));
    }
}
