
namespace Semisup.Optim;

/// <summary>A learning-rate schedule: the rate of each epoch (from 1), set as the epoch starts.</summary>
public abstract record Schedule
{
    public abstract double At(int epoch, double baseRate, int epochs);
    public abstract IEnumerable<string> Problems();
}

/// <summary>The lab's schedule: the base rate until <see cref="DecayEpoch"/>, then <see cref="DecayedRate"/>, then
/// after <see cref="ExponentialAfter"/> multiplied by <see cref="Factor"/> each epoch.</summary>
public sealed record LabSchedule(int DecayEpoch = 100, double DecayedRate = 5e-4, int ExponentialAfter = 200, double Factor = 0.99) : Schedule
{
    public override double At(int epoch, double baseRate, int epochs) =>
        epoch <= DecayEpoch ? baseRate
        : epoch <= ExponentialAfter ? DecayedRate
        : DecayedRate * Math.Pow(Factor, epoch - ExponentialAfter);

    public override IEnumerable<string> Problems()
    {
        if (DecayEpoch < 0 || ExponentialAfter < DecayEpoch) yield return $"decayEpoch, exponentialAfter: need 0 <= decayEpoch ({DecayEpoch}) <= exponentialAfter ({ExponentialAfter})";
        if (!(DecayedRate > 0)) yield return $"decayedRate: {DecayedRate} must be positive";
        if (Factor is <= 0 or > 1) yield return $"factor: {Factor} must be in (0, 1]";
    }
}

/// <summary>The ladder papers' schedule: the base rate until epoch <see cref="After"/>, then a linear decay that
/// reaches 0 as the last epoch ends.</summary>
public sealed record LinearDecay(int After = 0) : Schedule
{
    public override double At(int epoch, double baseRate, int epochs) =>
        epoch <= After ? baseRate : baseRate * (epochs - epoch + 1) / (epochs - After + 1);

    public override IEnumerable<string> Problems()
    {
        if (After < 0) yield return $"after: {After} must not be negative";
    }
}

/// <summary>Cosine annealing (Loshchilov and Hutter 2017), as fast trainers and FixMatch use it: η·½(1 + cos(π·p)) as
/// the progress p goes from 0 to 1, reaching 0 at the end of the last epoch. The rate is set as each epoch starts, at
/// that epoch's midpoint.</summary>
public sealed record Cosine : Schedule
{
    public override double At(int epoch, double baseRate, int epochs)
    {
        double progress = (epoch - 0.5) / Math.Max(1, epochs);
        return baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    public override IEnumerable<string> Problems() => [];
}
