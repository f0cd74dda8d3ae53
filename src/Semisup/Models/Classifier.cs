using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>An image classifier as the methods see it: the clean path (<c>forward</c>, pre-softmax outputs, what
/// evaluation and prediction use) and a noisy path with the same weights.</summary>
public abstract class Classifier(string name) : Module<Tensor, Tensor>(name)
{
    public abstract int Classes { get; }

    /// <summary>The temperature T that scoring divides the logits by before the softmax (Guo et al. 2017): fitted on
    /// validation after training and kept in the checkpoint; null (as 1) while training and for a checkpoint without
    /// one. Training never uses it, and it moves no argmax.</summary>
    public double? Temperature
    {
        get => temperature;
        set => temperature = value is not { } t || double.IsFinite(t) && t > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), t, "a temperature is a positive number");
    }

    double? temperature;

    /// <summary>Pre-softmax outputs with the model's training noise.</summary>
    public abstract Tensor Noisy(Tensor x);

    /// <summary>Parameter and buffer names with shapes: what a checkpoint must match to be loaded into this model.</summary>
    public string Signature() => string.Join(";", state_dict().Select(kv => $"{kv.Key}:{string.Join("x", kv.Value.shape)}"));
}

/// <summary>A network's options; each network has its own record.</summary>
public abstract record ModelOptions
{
    /// <summary>A checkpoint whose layers of matching name and shape initialise this model (VGG's warm start, lab 2.3).</summary>
    public string? WarmStart { get; init; }

    /// <summary>The learned parameters, counted before anything is allocated.</summary>
    public abstract double Parameters { get; }

    /// <summary>Multiply-adds of one image's pass through the classifier: nearly all of its arithmetic.</summary>
    public abstract double MultiplyAdds { get; }

    /// <summary>What cannot build the network, each as "key: why".</summary>
    public abstract IEnumerable<string> Problems();

    /// <summary>The network for images of this shape and this many classes.</summary>
    /// <exception cref="ArgumentException">The options do not fit such images; the message starts with the option, "key: why".</exception>
    public abstract Classifier Build(int channels, int height, int width, int classes);

    /// <summary>These options for images of this shape and this many classes, as <see cref="Build"/> uses them: their
    /// <see cref="Problems"/> include the image size, their counts are at that size. A kind whose configuration gives its
    /// sizes itself returns itself.</summary>
    public virtual ModelOptions ForInput(int channels, int height, int width, int classes) => this;
}
