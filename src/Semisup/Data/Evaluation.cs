namespace Semisup.Data;

/// <summary>A classifier's answers on a labeled set: mean cross-entropy, accuracy, each image's predicted class, and
/// the class probabilities ([images × classes], row-major). Semisup's own evaluation and ONNX Runtime's give the same.</summary>
public sealed record Evaluation(double Loss, double Accuracy, long[] Predictions, float[] Probabilities)
{
    public int Count => Predictions.Length;
}
