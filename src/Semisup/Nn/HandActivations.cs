using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Semisup.Nn;

// The lab's section 1: activations whose backward pass is the derivative worked out by hand, as custom autograd
// functions. Forward passes use libtorch's numerically stable kernels; each backward is the lab's formula.

public sealed class HandSigmoid : SingleTensorFunction<HandSigmoid>
{
    public override string Name => nameof(HandSigmoid);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var y = ((Tensor)vars[0]).sigmoid();
        ctx.save_for_backward([y]);
        return y;
    }

    // ∂E/∂x_in = x_out (1 − x_out) ∂E/∂x_out
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
    {
        var y = ctx.get_saved_variables()[0];
        return [grad * y * (1 - y)];
    }
}

public sealed class HandTanh : SingleTensorFunction<HandTanh>
{
    public override string Name => nameof(HandTanh);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var y = ((Tensor)vars[0]).tanh();
        ctx.save_for_backward([y]);
        return y;
    }

    // ∂E/∂x_in = (1 + x_out)(1 − x_out) ∂E/∂x_out
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
    {
        var y = ctx.get_saved_variables()[0];
        return [grad * (1 + y) * (1 - y)];
    }
}

/// <summary>ReLU, or leaky ReLU with a negative slope; the derivative at 0 is taken as 1, as the lab writes it.</summary>
public sealed class HandReLU : SingleTensorFunction<HandReLU>
{
    public override string Name => nameof(HandReLU);

    /// <param name="vars">The input, then the negative slope (a double; 0 for ReLU).</param>
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        double slope = (double)vars[1];
        ctx.save_for_backward([x.ge(0)]);
        ctx.save_data("slope", slope);
        return slope == 0 ? x.relu() : nn.functional.leaky_relu(x, slope);
    }

    // ∂E/∂x_in = ∂E/∂x_out when x_in ≥ 0, else slope · ∂E/∂x_out (slope 0 for ReLU)
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
    {
        var positive = ctx.get_saved_variables()[0];
        double slope = (double)ctx.get_data("slope");
        return [where(positive, grad, grad * slope), null!]; // no gradient for the slope
    }
}

/// <summary>Softmax with inverse temperature β along the last dimension: x_out,i = exp(−β x_i) / Σ_k exp(−β x_k).</summary>
public sealed class HandSoftmax : SingleTensorFunction<HandSoftmax>
{
    public override string Name => nameof(HandSoftmax);

    /// <param name="vars">The input, then β (a double &gt; 0).</param>
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        double beta = (double)vars[1];
        var y = ((Tensor)vars[0] * -beta).softmax(-1); // libtorch subtracts the maximum, so large inputs do not overflow
        ctx.save_for_backward([y]);
        ctx.save_data("beta", beta);
        return y;
    }

    // ∂x_out,i/∂x_j = β x_out,i x_out,j (i ≠ j), β x_out,j (x_out,j − 1) (i = j), so ∂E/∂x_j = β x_out,j (Σ_i g_i x_out,i − g_j)
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad)
    {
        var y = ctx.get_saved_variables()[0];
        double beta = (double)ctx.get_data("beta");
        return [beta * y * ((grad * y).sum(-1, keepdim: true) - grad), null!]; // no gradient for β
    }
}

/// <summary>The activations by name, hand-derived or libtorch's built-ins, for models and for gradcheck.</summary>
public static class Activations
{
    public static readonly string[] Names = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax"];

    /// <param name="parameter">The leaky ReLU's negative slope, or softmax's β.</param>
    public static Func<Tensor, Tensor> Get(string name, bool handDerived, double parameter = 0.1) => (name, handDerived) switch
    {
        ("sigmoid", true) => x => HandSigmoid.apply(x),
        ("sigmoid", false) => x => x.sigmoid(),
        ("tanh", true) => x => HandTanh.apply(x),
        ("tanh", false) => x => x.tanh(),
        ("relu", true) => x => HandReLU.apply(x, 0.0),
        ("relu", false) => x => x.relu(),
        ("leaky_relu", true) => x => HandReLU.apply(x, parameter),
        ("leaky_relu", false) => x => nn.functional.leaky_relu(x, parameter),
        ("softmax", true) when parameter > 0 => x => HandSoftmax.apply(x, parameter),
        ("softmax", false) when parameter > 0 => x => (x * -parameter).softmax(-1),
        ("softmax", _) => throw new SemisupException($"softmax β must be positive, got {parameter}."),
        _ => throw new SemisupException($"Unknown activation '{name}'. Known activations: {string.Join(", ", Names)}."),
    };
}
