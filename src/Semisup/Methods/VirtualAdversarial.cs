using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>Virtual adversarial training's smoothness term (Miyato et al. 2018): R(x) = KL(p(y | x) ‖ p(y | x + r_adv)),
/// where r_adv = ε g / ‖g‖ and g = ∇_r KL(p(y | x) ‖ p(y | x + r)) at r = ξ d / ‖d‖, d ~ N(0, I): one step of power
/// iteration towards the direction the prediction changes fastest in, as the official code takes. It asks the
/// decision boundary to keep ε away from every image, labeled or not, so it follows the data's density rather than
/// the augmentations'.</summary>
public static class VirtualAdversarial
{
    /// <summary>r_adv for each image of <paramref name="x"/>, of L2 norm <paramref name="radius"/> (ε) over its pixels.
    /// The probe passes run in evaluation mode, so they neither move batch norm's running statistics nor draw dropout
    /// masks: p(y | x) and p(y | x + r) then differ by r alone. <paramref name="start"/> is d (drawn if null). ξ is
    /// 1e-3, not the official 1e-6: in float32 a change of 1e-6 in p is near rounding (6e-8 at 0.5), so g lost its
    /// direction; against an MNIST image's norm of about 9, 1e-3 is still a small step.</summary>
    public static Tensor Perturbation(Classifier model, Tensor x, double radius, double xi = 1e-3, Tensor? start = null)
    {
        bool training = model.training;
        model.eval();
        try
        {
            Tensor logP;
            using (no_grad()) logP = functional.log_softmax(model.call(x), 1);
            var r = (xi * Normalize(start ?? randn_like(x))).detach().requires_grad_(true);
            var divergence = Divergence(logP, model.call(x + r));
            // autograd.grad, not backward: the probe must leave the parameters' gradients as they were.
            var g = autograd.grad([divergence], [r])[0];
            return (radius * Normalize(g)).detach();
        }
        finally { if (training) model.train(); }
    }

    /// <summary>KL(p ‖ q) averaged over the batch, from p's log-probabilities and q's logits.</summary>
    public static Tensor Divergence(Tensor logP, Tensor logitsQ) =>
        (logP.exp() * (logP - functional.log_softmax(logitsQ, 1))).sum(1).mean();

    /// <summary>Each image scaled to unit L2 norm over its pixels (1e-12 keeps an all-zero gradient finite).</summary>
    static Tensor Normalize(Tensor d) => d / (d.flatten(1).pow(2).sum(1).sqrt().reshape(-1, 1, 1, 1) + 1e-12);
}
