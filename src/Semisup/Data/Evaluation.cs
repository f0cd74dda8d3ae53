namespace Semisup.Data;

/// <summary>A classifier's answers on a labeled set: mean cross-entropy, accuracy, each image's predicted class, and
/// the class probabilities ([images × classes], row-major). Semisup's own evaluation and ONNX Runtime's give the same.</summary>
public sealed record Evaluation(double Loss, double Accuracy, long[] Predictions, float[] Probabilities)
{
    public int Count => Predictions.Length;

    /// <summary>The expected calibration error of <see cref="Probabilities"/> (<see cref="Calibration.Bins"/> bins);
    /// NaN where it was not measured.</summary>
    public double ExpectedError { get; init; } = double.NaN;

    /// <summary>The temperature the probabilities and the loss are of (the logits divided by it), if one was applied.</summary>
    public double? Temperature { get; init; }

    /// <summary>With a <see cref="Temperature"/>, the same answers without it: the same predictions and accuracy, the
    /// uncalibrated probabilities, loss and calibration error.</summary>
    public Evaluation? Raw { get; init; }
}
