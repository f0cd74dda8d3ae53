using Semisup.Cli;
using Semisup.Nn;
using static TorchSharp.torch;

namespace Semisup.Tests.Nn;

public class HandActivationTests
{
    [Fact]
    public void Every_hand_derived_backward_matches_finite_differences_and_autograd()
    {
        var results = GradCheck.All(seed: 3);
        Assert.Equal(6, results.Count);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: rel {r.MaxRelVsFiniteDifferences:E2} vs FD, {r.MaxRelVsAutograd:E2} vs autograd"));
    }

    [Fact]
    public void A_wrong_derivative_is_caught()
    {
        // tanh's derivative offered for sigmoid: the check must reject it on both comparisons.
        var wrong = GradCheck.Check("tanh' for sigmoid", Activations.Get("tanh", true), Activations.Get("sigmoid", false));
        Assert.False(wrong.Passed);
        Assert.True(wrong.MaxRelVsFiniteDifferences > 0.1 && wrong.MaxRelVsAutograd > 0.1);
    }

    [Fact]
    public void Relu_has_derivative_one_at_zero_as_the_lab_writes_it()
    {
        var x = tensor(new double[] { -1, 0, 2 }).requires_grad_();
        HandReLU.apply(x, 0.0).sum().backward();
        Assert.Equal(new double[] { 0, 1, 1 }, x.grad!.data<double>().ToArray());
        var y = tensor(new double[] { -1, 0, 2 }).requires_grad_();
        HandReLU.apply(y, 0.1).sum().backward();
        Assert.Equal(new double[] { 0.1, 1, 1 }, y.grad!.data<double>().ToArray());
    }

    [Fact]
    public void Softmax_with_beta_is_the_labs_definition_and_does_not_overflow()
    {
        var x = tensor(new double[] { 1000, 1001, -1000 });
        var y = HandSoftmax.apply(x, 2.0);
        Assert.False(y.isnan().any().item<bool>());
        var expected = new[] { 1000.0, 1001, -1000 }.Select(v => Math.Exp(-2 * (v + 1000))).ToArray(); // shifted by the max of −βx
        var sum = expected.Sum();
        Assert.Equal(expected.Select(e => e / sum).ToArray(), y.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Throws<SemisupException>(() => Activations.Get("softmax", true, 0));
        Assert.Contains("Known activations", Assert.Throws<SemisupException>(() => Activations.Get("swish", true)).Message);
    }

    [Fact]
    public async Task The_gradcheck_command_passes() => Assert.Equal(0, await SemisupCli.RunAsync(["gradcheck"]));
}
