namespace InSitu.Torch.NN;

/// <summary>A model whose eval-mode forward pass compiles into a fused <see cref="InferencePlan"/> (images to outputs).</summary>
public interface IPlanCompilable
{
    /// <summary>The plan of the model's current weights; later changes to the model do not reach it.</summary>
    InferencePlan CompilePlan(PlanPrecision precision, ConvAlgorithm algorithm);
}
